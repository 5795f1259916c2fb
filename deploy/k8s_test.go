package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/ebios/ebios/server/config"
)

// kinds are the manifests deploy/k8s may hold, decoded into their
// k8s.io/api types.
var kinds = map[string]func() any{
	"v1/ConfigMap":                                  func() any { return new(corev1.ConfigMap) },
	"v1/Service":                                    func() any { return new(corev1.Service) },
	"v1/ServiceAccount":                             func() any { return new(corev1.ServiceAccount) },
	"apps/v1/StatefulSet":                           func() any { return new(appsv1.StatefulSet) },
	"apps/v1/Deployment":                            func() any { return new(appsv1.Deployment) },
	"networking.k8s.io/v1/NetworkPolicy":            func() any { return new(networkingv1.NetworkPolicy) },
	"policy/v1/PodDisruptionBudget":                 func() any { return new(policyv1.PodDisruptionBudget) },
	"kustomize.config.k8s.io/v1beta1/Kustomization": nil, // read by resolve
}

// object is one decoded manifest.
type object struct {
	file       string
	kind, name string
	raw        []byte // the manifest as JSON, patched
	obj        any    // the k8s.io/api value
}

// decodeStrict decodes one manifest into its k8s.io/api type; an unknown
// or duplicate field, or an unknown kind, is an error.
func decodeStrict(file string, data []byte) (*object, error) {
	var tm metav1.TypeMeta
	var meta struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	if err := yaml.Unmarshal(data, &tm); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if err := yaml.Unmarshal(data, &meta); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	newObj, ok := kinds[tm.APIVersion+"/"+tm.Kind]
	if !ok || newObj == nil {
		return nil, fmt.Errorf("%s: kind %s/%s is not one deploy/k8s may hold (k8s_test.go: kinds)", file, tm.APIVersion, tm.Kind)
	}
	obj := newObj()
	if err := yaml.UnmarshalStrict(data, obj); err != nil {
		return nil, fmt.Errorf("%s: %s %s: %w", file, tm.Kind, meta.Metadata.Name, err)
	}
	raw, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if meta.Metadata.Name == "" {
		return nil, fmt.Errorf("%s: %s without metadata.name", file, tm.Kind)
	}
	return &object{file: file, kind: tm.Kind, name: meta.Metadata.Name, raw: raw, obj: obj}, nil
}

// kustomization is what deploy/k8s's kustomization files may say; decoded
// strictly, so that a field kustomize has but this test does not check
// fails here rather than being ignored.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
	Patches    []struct {
		Patch  string `json:"patch"`
		Target struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"target"`
	} `json:"patches,omitempty"`
}

// jsonPatchOp is one RFC 6902 operation of a kustomize patch.
type jsonPatchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value,omitempty"`
}

// resolve reads the kustomization in dir and returns its objects, with
// its patches applied: every resource exists, every manifest in dir is
// listed, every patch targets one object, and every object, patched,
// decodes strictly.
func resolve(dir string) ([]*object, error) {
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return nil, fmt.Errorf("%s: not a kustomization: %w", dir, err)
	}
	var k kustomization
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		return nil, fmt.Errorf("%s/kustomization.yaml: %w", dir, err)
	}
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		return nil, fmt.Errorf("%s/kustomization.yaml: apiVersion %q kind %q", dir, k.APIVersion, k.Kind)
	}
	var objs []*object
	listed := map[string]bool{"kustomization.yaml": true}
	for _, r := range k.Resources {
		p := filepath.Join(dir, r)
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s/kustomization.yaml: resource %s: %w", dir, r, err)
		}
		if fi.IsDir() {
			sub, err := resolve(p)
			if err != nil {
				return nil, err
			}
			objs = append(objs, sub...)
			continue
		}
		listed[r] = true
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		for _, doc := range bytes.Split(b, []byte("\n---\n")) {
			o, err := decodeStrict(p, doc)
			if err != nil {
				return nil, err
			}
			objs = append(objs, o)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			return nil, fmt.Errorf("%s is not listed in %s/kustomization.yaml: kubectl apply -k would leave it out", f, dir)
		}
	}
	for i, p := range k.Patches {
		var target *object
		for _, o := range objs {
			if o.kind == p.Target.Kind && o.name == p.Target.Name {
				target = o
			}
		}
		if target == nil {
			return nil, fmt.Errorf("%s/kustomization.yaml: patch %d targets %s %q, which is not among its resources", dir, i, p.Target.Kind, p.Target.Name)
		}
		var ops []jsonPatchOp
		if err := yaml.UnmarshalStrict([]byte(p.Patch), &ops); err != nil {
			return nil, fmt.Errorf("%s/kustomization.yaml: patch %d is not a JSON patch: %w", dir, i, err)
		}
		raw, err := applyPatch(target.raw, ops)
		if err != nil {
			return nil, fmt.Errorf("%s/kustomization.yaml: patch %d (%s %s): %w", dir, i, p.Target.Kind, p.Target.Name, err)
		}
		patched, err := decodeStrict(target.file+" patched by "+dir, raw)
		if err != nil {
			return nil, err
		}
		*target = *patched
	}
	return objs, nil
}

// applyPatch applies the add and remove operations of RFC 6902 (the ones
// the overlays use) to the JSON document doc.
func applyPatch(doc []byte, ops []jsonPatchOp) ([]byte, error) {
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		return nil, err
	}
	for _, op := range ops {
		parts := strings.Split(strings.TrimPrefix(op.Path, "/"), "/")
		parent := root
		for _, p := range parts[:len(parts)-1] {
			var ok bool
			switch v := parent.(type) {
			case map[string]any:
				parent, ok = v[p]
			case []any:
				i, err := strconv.Atoi(p)
				if ok = err == nil && i >= 0 && i < len(v); ok {
					parent = v[i]
				}
			}
			if !ok {
				return nil, fmt.Errorf("%s %s: no %q in the target", op.Op, op.Path, p)
			}
		}
		last := parts[len(parts)-1]
		var value any
		if op.Op == "add" {
			if err := json.Unmarshal(op.Value, &value); err != nil {
				return nil, fmt.Errorf("%s %s: value: %w", op.Op, op.Path, err)
			}
		}
		switch v := parent.(type) {
		case map[string]any:
			switch op.Op {
			case "add":
				v[last] = value
			case "remove":
				if _, ok := v[last]; !ok {
					return nil, fmt.Errorf("remove %s: not in the target", op.Path)
				}
				delete(v, last)
			default:
				return nil, fmt.Errorf("op %q: this test applies add and remove only", op.Op)
			}
		case []any:
			if op.Op != "add" || last != "-" {
				return nil, fmt.Errorf("%s %s: this test applies only add /-  to a list", op.Op, op.Path)
			}
			if err := setParent(root, parts[:len(parts)-1], append(v, value)); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s %s: the parent is not an object or a list", op.Op, op.Path)
		}
	}
	return json.Marshal(root)
}

// setParent replaces the list at the path parts of root (after an append).
func setParent(root any, parts []string, list []any) error {
	m, ok := root.(map[string]any)
	for i, p := range parts {
		if !ok {
			return fmt.Errorf("/%s: not an object", strings.Join(parts[:i], "/"))
		}
		if i == len(parts)-1 {
			m[p] = list
			return nil
		}
		m, ok = m[p].(map[string]any)
	}
	return fmt.Errorf("empty path")
}

// server is what the manifests must agree with: the server's default
// listen port, its health routes (server/api/openapi.json, which
// TestOpenAPIMatchesRoutes keeps equal to the route table) and the
// environment variables server/config reads.
type server struct {
	port   int
	routes map[string]bool
	env    map[string]bool
}

// pendingEnv are variables the manifests set before the server reads them
// (none now: EBIOS_STORE, the PostgreSQL store, is read).
var pendingEnv = map[string]string{}

func loadServer(t *testing.T) server {
	t.Helper()
	cfg, err := config.Load(nil, nil, func(string) ([]byte, error) { return nil, os.ErrNotExist })
	if err != nil {
		t.Fatal(err)
	}
	s := server{port: listenPort(t, "the default server.listen", cfg.Listen), routes: map[string]bool{}, env: map[string]bool{}}
	b, err := os.ReadFile("../server/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("server/api/openapi.json: %v", err)
	}
	for p, methods := range doc.Paths {
		if _, ok := methods["get"]; ok {
			s.routes[p] = true
		}
	}
	for _, name := range regexp.MustCompile(`EBIOS_[A-Z0-9_]+`).FindAllString(config.Reference()+config.Usage(), -1) {
		s.env[name] = true
	}
	return s
}

func listenPort(t *testing.T, what, listen string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(listen)
	n, err2 := strconv.Atoi(p)
	if err != nil || err2 != nil {
		t.Fatalf("%s %q has no port", what, listen)
	}
	return n
}

// TestKubernetesManifests resolves each overlay as kubectl apply -k would,
// decodes every object strictly with the k8s.io/api types, and checks the
// pods against the server: port, probes, configuration, security.
func TestKubernetesManifests(t *testing.T) {
	srv := loadServer(t)
	if !srv.routes["/healthz"] || !srv.routes["/readyz"] {
		t.Fatalf("server/api/openapi.json has no GET /healthz or /readyz: the probes need them")
	}
	imagePort := dockerfileListenPort(t)
	overlays := []struct {
		dir      string
		kind     string // the workload
		replicas int32
	}{
		{"k8s/overlays/buntdb", "StatefulSet", 1},
		{"k8s/overlays/postgres", "Deployment", 3},
	}
	for _, ov := range overlays {
		t.Run(path.Base(ov.dir), func(t *testing.T) {
			objs, err := resolve(ov.dir)
			if err != nil {
				t.Fatal(err)
			}
			byKind := map[string][]*object{}
			for _, o := range objs {
				if prev := byKind[o.kind]; slices.ContainsFunc(prev, func(p *object) bool { return p.name == o.name }) {
					t.Errorf("%s %s defined twice", o.kind, o.name)
				}
				byKind[o.kind] = append(byKind[o.kind], o)
			}
			for _, k := range []string{ov.kind, "Service", "ConfigMap", "NetworkPolicy", "PodDisruptionBudget", "ServiceAccount"} {
				if len(byKind[k]) == 0 {
					t.Errorf("no %s", k)
				}
			}
			if t.Failed() {
				return
			}
			var pod corev1.PodTemplateSpec
			var replicas int32
			switch w := byKind[ov.kind][0].obj.(type) {
			case *appsv1.StatefulSet:
				pod, replicas = w.Spec.Template, *w.Spec.Replicas
				if len(w.Spec.VolumeClaimTemplates) != 1 || w.Spec.VolumeClaimTemplates[0].Name != "data" ||
					!slices.Equal(w.Spec.VolumeClaimTemplates[0].Spec.AccessModes, []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}) {
					t.Errorf("the StatefulSet needs one ReadWriteOnce volume claim \"data\" (BuntDB: one writer)")
				}
				checkSelector(t, "StatefulSet", w.Spec.Selector, pod.Labels)
			case *appsv1.Deployment:
				pod, replicas = w.Spec.Template, *w.Spec.Replicas
				checkSelector(t, "Deployment", w.Spec.Selector, pod.Labels)
			}
			if replicas != ov.replicas {
				t.Errorf("%s replicas %d, want %d", ov.kind, replicas, ov.replicas)
			}
			conf := byKind["ConfigMap"][0].obj.(*corev1.ConfigMap).Data["ebios.conf"]
			checkPod(t, srv, pod, conf, imagePort)
			for _, o := range byKind["Service"] {
				svc := o.obj.(*corev1.Service)
				checkSelector(t, "Service "+svc.Name, &metav1.LabelSelector{MatchLabels: svc.Spec.Selector}, pod.Labels)
				for _, p := range svc.Spec.Ports {
					if p.TargetPort.String() != "http" {
						t.Errorf("Service %s: targetPort %s, want the container's port \"http\"", svc.Name, p.TargetPort.String())
					}
				}
			}
			pdb := byKind["PodDisruptionBudget"][0].obj.(*policyv1.PodDisruptionBudget)
			checkSelector(t, "PodDisruptionBudget", pdb.Spec.Selector, pod.Labels)
			if ov.replicas == 1 && pdb.Spec.MinAvailable != nil {
				t.Errorf("PodDisruptionBudget: minAvailable with one replica blocks every node drain")
			}
			if ov.replicas > 1 && (pdb.Spec.MinAvailable == nil || pdb.Spec.MinAvailable.IntValue() < 2) {
				t.Errorf("PodDisruptionBudget of %d replicas: want minAvailable ≥ 2, got %v", ov.replicas, pdb.Spec.MinAvailable)
			}
			np := byKind["NetworkPolicy"][0].obj.(*networkingv1.NetworkPolicy)
			checkSelector(t, "NetworkPolicy", &np.Spec.PodSelector, pod.Labels)
			if len(np.Spec.Ingress) != 1 || len(np.Spec.Ingress[0].Ports) != 1 || np.Spec.Ingress[0].Ports[0].Port.String() != "http" {
				t.Errorf("NetworkPolicy: want ingress to the port \"http\" only, got %+v", np.Spec.Ingress)
			}
			egress := map[int]bool{}
			for _, r := range np.Spec.Egress {
				for _, p := range r.Ports {
					egress[p.Port.IntValue()] = true
				}
			}
			if ov.kind == "Deployment" && !egress[5432] {
				t.Errorf("NetworkPolicy: the postgres overlay must let the pods reach PostgreSQL (5432)")
			}
		})
	}
}

// dockerfileListenPort is the port of the image's EBIOS_SERVER_LISTEN,
// which wins over ebios.conf's listen.
func dockerfileListenPort(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^ENV EBIOS_SERVER_LISTEN=(\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("the Dockerfile sets no ENV EBIOS_SERVER_LISTEN")
	}
	return listenPort(t, "the Dockerfile's EBIOS_SERVER_LISTEN", string(m[1]))
}

func checkSelector(t *testing.T, what string, sel *metav1.LabelSelector, labels map[string]string) {
	t.Helper()
	if sel == nil || len(sel.MatchLabels) == 0 {
		t.Errorf("%s: no selector", what)
		return
	}
	for k, v := range sel.MatchLabels {
		if labels[k] != v {
			t.Errorf("%s selects %s=%s, which the pods do not carry (%v)", what, k, v, labels)
		}
	}
}

// checkPod checks the pod template against the server and the standards.
func checkPod(t *testing.T, srv server, pod corev1.PodTemplateSpec, conf string, imagePort int) {
	t.Helper()
	ps := pod.Spec
	if sc := ps.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext: want runAsNonRoot and seccompProfile RuntimeDefault")
	}
	if ps.AutomountServiceAccountToken == nil || *ps.AutomountServiceAccountToken {
		t.Errorf("pod: automountServiceAccountToken must be false (ebios does not use the Kubernetes API)")
	}
	if ps.TerminationGracePeriodSeconds == nil || *ps.TerminationGracePeriodSeconds <= 30 {
		t.Errorf("pod: terminationGracePeriodSeconds must exceed the server's 30 s drain")
	}
	var main *corev1.Container
	for _, c := range append(slices.Clone(ps.InitContainers), ps.Containers...) {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
			t.Errorf("container %s: securityContext needs readOnlyRootFilesystem, allowPrivilegeEscalation false, drop ALL", c.Name)
		}
		if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
			t.Errorf("container %s: want cpu and memory requests and a memory limit", c.Name)
		}
	}
	for i := range ps.Containers {
		if ps.Containers[i].Name == "ebios" {
			main = &ps.Containers[i]
		}
	}
	if main == nil {
		t.Fatal("no container named ebios")
	}

	// The configuration: ebios.conf as server/config loads it, from where
	// EBIOS_CONFIG says, plus the environment.
	env := map[string]string{}
	for _, e := range main.Env {
		if !srv.env[e.Name] && e.Name != "EBIOS_CONFIG" {
			if _, ok := pendingEnv[e.Name]; !ok {
				t.Errorf("container ebios: env %s is no variable server/config reads", e.Name)
			}
		}
		env[e.Name] = e.Value
	}
	confPath := env["EBIOS_CONFIG"]
	if confPath == "" {
		t.Fatal("container ebios: no EBIOS_CONFIG: ebios.conf of the ConfigMap is not read")
	}
	cfg, err := config.Load(main.Args[1:], func(k string) string { return env[k] }, func(p string) ([]byte, error) {
		if p != confPath {
			return nil, os.ErrNotExist
		}
		return []byte(conf), nil
	})
	if err != nil {
		t.Fatalf("the ConfigMap's ebios.conf with the container's args %v: %v", main.Args, err)
	}
	mounts := map[string]bool{}
	for _, m := range main.VolumeMounts {
		mounts[m.MountPath] = true
	}
	for what, p := range map[string]string{"EBIOS_CONFIG": filepath.Dir(confPath), "data_dir": cfg.DataDir,
		"ledger.key_file": filepath.Dir(cfg.Ledger.KeyFile), "auth.secret_file": filepath.Dir(cfg.Auth.SecretFile),
		"monitoring.metrics_token_file": filepath.Dir(cfg.MetricsTokenFile)} {
		if !mounts[p] {
			t.Errorf("container ebios: %s is in %s, which is no volume mount (the root filesystem is read-only)", what, p)
		}
	}
	if main.Args[0] != "serve" {
		t.Errorf("container ebios: args %v, want serve", main.Args)
	}

	// The port: the ConfigMap's listen, the image's and the container's.
	var http *corev1.ContainerPort
	for i, p := range main.Ports {
		if p.Name == "http" {
			http = &main.Ports[i]
		}
	}
	confPort := listenPort(t, "the ConfigMap's server.listen", cfg.Listen)
	if http == nil || int(http.ContainerPort) != srv.port || confPort != srv.port || imagePort != srv.port {
		t.Errorf("ports: container \"http\" %v, ebios.conf listen %d, the image's EBIOS_SERVER_LISTEN %d; want the server's default %d",
			http, confPort, imagePort, srv.port)
	}
	for _, pr := range []struct {
		what  string
		probe *corev1.Probe
		path  string
	}{{"livenessProbe", main.LivenessProbe, "/healthz"}, {"readinessProbe", main.ReadinessProbe, "/readyz"}, {"startupProbe", main.StartupProbe, "/healthz"}} {
		if pr.probe == nil || pr.probe.HTTPGet == nil {
			t.Errorf("container ebios: no %s with httpGet", pr.what)
			continue
		}
		if pr.probe.HTTPGet.Path != pr.path || pr.probe.HTTPGet.Port.String() != "http" || !srv.routes[pr.probe.HTTPGet.Path] {
			t.Errorf("container ebios: %s GET %s on port %s, want %s on \"http\" (a GET route of server/api)",
				pr.what, pr.probe.HTTPGet.Path, pr.probe.HTTPGet.Port.String(), pr.path)
		}
	}
}

// TestStrictDecodeRejectsUnknownField: the planted manifest has a field
// the k8s.io/api types do not know (a misspelt probe), which a lenient
// decode would drop silently.
func TestStrictDecodeRejectsUnknownField(t *testing.T) {
	cases := []struct{ file, want string }{
		{"testdata/k8s-bad/unknown-field.yaml", `unknown field "readinesProbe"`},
		{"testdata/k8s-bad/duplicate-field.yaml", `"replicas"`},
		{"testdata/k8s-bad/unknown-kind.yaml", "kind v1/Pod is not one deploy/k8s may hold"},
	}
	for _, c := range cases {
		b, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeStrict(c.file, b); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %s", c.file, err, c.want)
		}
	}
	// resolve catches a manifest left out of kustomization.yaml and a patch
	// aimed at nothing.
	for _, c := range []struct{ dir, want string }{
		{"testdata/k8s-bad/unlisted", "is not listed in"},
		{"testdata/k8s-bad/badpatch", `targets PodDisruptionBudget "nope"`},
	} {
		if _, err := resolve(c.dir); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %s", c.dir, err, c.want)
		}
	}
}

// TestApplyPatch checks the small JSON-patch applier the overlay check
// relies on.
func TestApplyPatch(t *testing.T) {
	doc := `{"spec":{"maxUnavailable":1,"egress":[{"a":1}]}}`
	cases := []struct {
		ops  string
		want string // "" for an error
	}{
		{`[{"op":"remove","path":"/spec/maxUnavailable"},{"op":"add","path":"/spec/minAvailable","value":2}]`, `{"spec":{"egress":[{"a":1}],"minAvailable":2}}`},
		{`[{"op":"add","path":"/spec/egress/-","value":{"b":2}}]`, `{"spec":{"egress":[{"a":1},{"b":2}],"maxUnavailable":1}}`},
		{`[{"op":"remove","path":"/spec/nothing"}]`, ""},
		{`[{"op":"add","path":"/nope/x","value":1}]`, ""},
		{`[{"op":"replace","path":"/spec/maxUnavailable","value":1}]`, ""},
	}
	for _, c := range cases {
		var ops []jsonPatchOp
		if err := json.Unmarshal([]byte(c.ops), &ops); err != nil {
			t.Fatal(err)
		}
		got, err := applyPatch([]byte(doc), ops)
		if (c.want == "") != (err != nil) || (err == nil && string(got) != c.want) {
			t.Errorf("%s: %s, %v; want %s", c.ops, got, err, c.want)
		}
	}
}
