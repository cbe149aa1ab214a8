# Drop-in flow: the original C tool's usage, for any builder including the legacy one (DOCKER_BUILDKIT=0),
# which drops security.capability on COPY --from. The capability is set by a RUN in the final stage, so
# it lands in that stage's own layer. "/!setcap-static": a name starting with "!" makes the tool delete
# itself after the run, so the final filesystem holds no trace of it (a whiteout in the RUN layer).
#
# The RUN copies /app up into a new layer (an image layer is a file diff: the xattr change rewrites the
# whole file), so /app is stored twice. The BuildKit flow (buildkit.Dockerfile) avoids that.
#
#   docker build --build-arg SETCAP_IMAGE=ghcr.io/OWNER/setcap-static:latest -f docker/dropin.Dockerfile CONTEXT
ARG SETCAP_IMAGE=setcap-static:latest
FROM ${SETCAP_IMAGE} AS setcap-image

# Stands in for your compile stage (FROM golang ... RUN go build -o /build/app): the context's `app`.
FROM scratch AS build
COPY app /build/app

FROM scratch
COPY --from=setcap-image /setcap-static /!setcap-static
COPY --from=build /build/app /app
RUN ["/!setcap-static", "cap_net_bind_service=ep", "/app"]
USER 1000:1000
ENTRYPOINT ["/app"]
