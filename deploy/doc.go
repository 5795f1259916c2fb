// Package deploy holds no code: it is where the deployment files are
// tested. Its tests check the container image (Dockerfile and
// container/Containerfile.prebuilt: built and run with podman), compose.yaml
// (podman-compose config) and the Kubernetes manifests of k8s/ (decoded
// strictly with the k8s.io/api types and checked against the server's port,
// routes and configuration keys). docs/deployment.md says how to use them.
package deploy
