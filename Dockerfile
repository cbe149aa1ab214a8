# The published image: one fully static file and nothing else.
#
#   COPY --from=setcap-static /setcap-static /!setcap-static      (drop-in; "!" = delete itself after the run)
#   RUN ["/!setcap-static", "cap_net_bind_service=ep", "/app"]
#   RUN ["/setcap-static", "get", "/app"]                           (getcap mode: same file, no /getcap link;
#                                                                     a link would be a second 43 MB layer entry)
#
# Built from dist/ (npm run build), never compiled here: `npm run image` locally, .github/workflows/release.yml
# for linux/amd64 + linux/arm64 on tags. The executable is chosen by Docker's TARGETARCH. No default on the ARG:
# BuildKit (20.10) lets an ARG default override the platform's value, so the default sits in the expansion,
# which also covers the legacy builder (it never sets TARGETARCH).
FROM scratch
ARG TARGETARCH
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="setcap-static" \
      org.opencontainers.image.description="Static, self-contained setcap/getcap for FROM scratch images: libcap-exact file capabilities" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY dist/setcap-static-linux-${TARGETARCH:-amd64} /setcap-static
ENTRYPOINT ["/setcap-static"]
