# BuildKit flow (DOCKER_BUILDKIT=1, or docker buildx): BuildKit keeps security.capability on COPY --from,
# so the capability is set in a throw-away stage and the final stage copies the file once: one layer,
# one copy of /app, no trace of the tool. The legacy builder silently drops the capability here: use
# dropin.Dockerfile with it.
#
#   DOCKER_BUILDKIT=1 docker build --build-arg SETCAP_IMAGE=ghcr.io/OWNER/setcap-static:latest -f docker/buildkit.Dockerfile CONTEXT
ARG SETCAP_IMAGE=setcap-static:latest
FROM ${SETCAP_IMAGE} AS setcap-image

# Stands in for your compile stage: the context's `app`; the tool is copied in next to it.
FROM scratch AS build
COPY app /build/app
COPY --from=setcap-image /setcap-static /setcap-static
RUN ["/setcap-static", "cap_net_bind_service=ep", "/build/app"]

FROM scratch
COPY --from=build /build/app /app
USER 1000:1000
ENTRYPOINT ["/app"]
