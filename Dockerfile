# The eBIOS container image: one static binary, CA certificates, a /data
# volume, a non-root user, no shell and no curl (the HEALTHCHECK is
# `ebios health`). docs/deployment.md#container says how to build and run it.
#
#   podman build --format docker -t ebios .     (or docker build -t ebios .)
#
# (--format docker: podman's default OCI format drops the HEALTHCHECK.)
#
# Two stages. "rootfs" builds the browser app and the binary with Go and lays
# out the image's files under /rootfs and /data; "runtime" is FROM scratch
# and only copies them. deploy/container/Containerfile.prebuilt has the same
# runtime stage for a binary built outside (goreleaser style); a test
# (deploy/container_test.go) keeps the two runtime stages identical.

FROM golang:1.26-bookworm AS rootfs
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# make wasm builds web/ (the browser app the binary embeds); the binary is
# static (CGO_ENABLED=0), as FROM scratch needs.
RUN make wasm \
 && CGO_ENABLED=0 go build -trimpath -o /rootfs/ebios ./server/cmd/ebios \
 && install -D -m 0644 /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ca-certificates.crt \
 && install -d -m 0700 /data

# ---- runtime: keep identical to deploy/container/Containerfile.prebuilt ----
FROM scratch AS runtime
COPY --from=rootfs /rootfs/ /
COPY --from=rootfs --chown=65532:65532 /data /data
USER 65532:65532
VOLUME ["/data"]
# Every interface, so that a port mapping reaches the server. Set in the
# environment rather than on the command line, so that `ebios health` (the
# HEALTHCHECK) derives the same address.
ENV EBIOS_SERVER_LISTEN=:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/ebios", "health"]
ENTRYPOINT ["/ebios"]
CMD ["serve", "--data-dir", "/data"]
