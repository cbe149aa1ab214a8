# getcap inside an image: the same file in getcap mode (`/setcap-static get FILE...`), here to check
# in the build log what an earlier step set. Prints what libcap's getcap prints: "/app cap_net_bind_service=ep".
#
#   docker build --build-arg SETCAP_IMAGE=ghcr.io/OWNER/setcap-static:latest -f docker/getcap.Dockerfile CONTEXT
ARG SETCAP_IMAGE=setcap-static:latest
FROM ${SETCAP_IMAGE} AS setcap-image

FROM scratch
COPY --from=setcap-image /setcap-static /setcap-static
COPY app /app
RUN ["/setcap-static", "cap_net_bind_service=ep", "/app"]
RUN ["/setcap-static", "get", "/app"]
