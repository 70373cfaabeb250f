# casenode in a container: docker build -t casenode .
# Multi-stage: the build stage compiles a static binary (no cgo) with the
# version stamped; the image holds that binary alone, runs as an unprivileged
# user, and keeps the node's or the hub's directory in the /data volume.
#   docker run -v casenode:/data casenode init --dir /data/accra …
#   docker run -v casenode:/data -p 4222:4222 casenode hub run --dir /data/hub
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -buildid= -X main.version=${VERSION}" -o /out/casenode ./cmd/casenode \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/casenode /usr/local/bin/casenode
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 4222
ENTRYPOINT ["/usr/local/bin/casenode"]
CMD ["help"]
