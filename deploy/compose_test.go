package deploy

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/ebios/ebios/internal/debpkg"
)

// composeConfig is the part of `docker-compose config`'s output the test
// checks.
type composeConfig struct {
	Services map[string]struct {
		Image       string            `json:"image"`
		Profiles    []string          `json:"profiles"`
		Environment map[string]string `json:"environment"`
		Healthcheck struct {
			Test []string `json:"test"`
		} `json:"healthcheck"`
		Ports   []string `json:"ports"`
		Volumes []string `json:"volumes"`
		Secrets []struct {
			Source string `json:"source"`
		} `json:"secrets"`
	} `json:"services"`
	Volumes map[string]any `json:"volumes"`
	Secrets map[string]struct {
		File string `json:"file"`
	} `json:"secrets"`
}

// TestCompose checks compose.yaml as docker-compose resolves it with
// .env.example: the services, volumes, secrets, healthcheck and mounts,
// and that ebios, Prometheus and the server agree on the port, the
// environment variables and the metrics token. Bringing the stack up
// needs images this sandbox cannot pull (docs/deployment.md#compose).
func TestCompose(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: TestCompose runs docker-compose config (make unit runs it)")
	}
	// Debian's podman-compose 1.0.3 has no `config`; docker-compose 1.29.2
	// validates the file against the Compose schema without a daemon.
	bin := debpkg.Program(t, "docker-compose", "TestCompose checks compose.yaml with docker-compose config", "docker-compose")
	cmd := exec.Command(bin, "--project-directory", "..", "-f", "../compose.yaml", "--env-file", "../.env.example", "config") // #nosec G204 -- test: the Debian program with fixed arguments
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}                                                    // no EBIOS_* or COMPOSE_* of the caller
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, stderr.String())
	}
	var c composeConfig
	if err := yaml.Unmarshal(out, &c); err != nil {
		t.Fatalf("docker-compose config output: %v\n%s", err, out)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}

	if got, want := slices.Sorted(maps.Keys(c.Services)), []string{"ebios", "grafana", "postgres", "prometheus"}; !slices.Equal(got, want) {
		t.Errorf("services %v, want %v", got, want)
	}
	if got, want := slices.Sorted(maps.Keys(c.Volumes)), []string{"ebios-data", "grafana-data", "postgres-data", "prometheus-data"}; !slices.Equal(got, want) {
		t.Errorf("volumes %v, want %v", got, want)
	}
	if got, want := slices.Sorted(maps.Keys(c.Secrets)), []string{"grafana_admin_password", "jwt_secret", "ledger_key", "metrics_token", "postgres_password", "prometheus_metrics_token"}; !slices.Equal(got, want) {
		t.Errorf("secrets %v, want %v", got, want)
	}
	for name, s := range c.Secrets {
		if filepath.Dir(s.File) != filepath.Join(root, "secrets") {
			t.Errorf("secret %s is %s: keep every secret in secrets/, which .gitignore and .dockerignore leave out", name, s.File)
		}
	}
	if p := c.Services["postgres"].Profiles; !slices.Equal(p, []string{"postgres"}) {
		t.Errorf("postgres: profiles %v, want [postgres] (PostgreSQL is not started by default)", p)
	}

	srv := loadServer(t)
	eb := c.Services["ebios"]
	if !slices.Equal(eb.Healthcheck.Test, []string{"CMD", "/ebios", "health"}) {
		t.Errorf("ebios healthcheck %v, want [CMD /ebios health]", eb.Healthcheck.Test)
	}
	if !slices.Contains(eb.Volumes, "ebios-data:/data:rw") {
		t.Errorf("ebios volumes %v, want ebios-data on /data", eb.Volumes)
	}
	if want := "127.0.0.1:8080:" + strconv.Itoa(dockerfileListenPort(t)) + "/tcp"; !slices.Equal(eb.Ports, []string{want}) {
		t.Errorf("ebios ports %v, want [%s] (loopback by default, the image's port)", eb.Ports, want)
	}
	secretsOf := func(svc string) []string {
		var names []string
		for _, s := range c.Services[svc].Secrets {
			names = append(names, s.Source)
		}
		return names
	}
	for name, v := range eb.Environment {
		if _, pending := pendingEnv[name]; !srv.env[name] && !pending {
			t.Errorf("ebios: env %s is no variable server/config reads", name)
		}
		if secret, ok := strings.CutPrefix(v, "/run/secrets/"); ok && !slices.Contains(secretsOf("ebios"), secret) {
			t.Errorf("ebios: env %s=%s, but the service does not get the secret %s", name, v, secret)
		}
	}
	for env, secret := range map[string]string{"EBIOS_LEDGER_KEY_FILE": "ledger_key", "EBIOS_AUTH_SECRET_FILE": "jwt_secret",
		"EBIOS_MONITORING_METRICS_TOKEN_FILE": "metrics_token"} {
		if eb.Environment[env] != "/run/secrets/"+secret {
			t.Errorf("ebios: %s=%q, want /run/secrets/%s", env, eb.Environment[env], secret)
		}
	}

	// Prometheus scrapes ebios with the token ebios reads.
	prom := c.Services["prometheus"]
	for _, v := range []string{root + "/deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro", root + "/deploy/prometheus/rules:/etc/prometheus/rules:ro"} {
		if !slices.Contains(prom.Volumes, v) {
			t.Errorf("prometheus volumes %v lack %s", prom.Volumes, v)
		}
	}
	// ebios refuses a token file others can read, and Prometheus runs as
	// another user: it gets its own copy of the token, from a file next to
	// ebios's.
	if !slices.Equal(secretsOf("prometheus"), []string{"prometheus_metrics_token"}) {
		t.Errorf("prometheus gets the secrets %v, want only prometheus_metrics_token", secretsOf("prometheus"))
	}
	if ebf, pf := c.Secrets["metrics_token"].File, c.Secrets["prometheus_metrics_token"].File; pf != ebf+".prometheus" {
		t.Errorf("the secret prometheus_metrics_token is the file %q, want ebios's token file %q with .prometheus", pf, ebf)
	}
	b, err := os.ReadFile("prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var pc struct {
		Global        map[string]string `json:"global"`
		RuleFiles     []string          `json:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `json:"job_name"`
			MetricsPath   string `json:"metrics_path"`
			Authorization struct {
				Type            string `json:"type"`
				CredentialsFile string `json:"credentials_file"`
			} `json:"authorization"`
			StaticConfigs []struct {
				Targets []string `json:"targets"`
			} `json:"static_configs"`
		} `json:"scrape_configs"`
	}
	if err := yaml.UnmarshalStrict(b, &pc); err != nil {
		t.Fatalf("deploy/prometheus/prometheus.yml: %v", err)
	}
	if !slices.Equal(pc.RuleFiles, []string{"/etc/prometheus/rules/*.yml"}) {
		t.Errorf("prometheus.yml rule_files %v", pc.RuleFiles)
	}
	if len(pc.ScrapeConfigs) != 1 {
		t.Fatalf("prometheus.yml: %d scrape configs, want the job ebios", len(pc.ScrapeConfigs))
	}
	sc := pc.ScrapeConfigs[0]
	if sc.JobName != "ebios" || sc.MetricsPath != "/metrics" || sc.Authorization.Type != "Bearer" ||
		sc.Authorization.CredentialsFile != "/run/secrets/prometheus_metrics_token" ||
		len(sc.StaticConfigs) != 1 || !slices.Equal(sc.StaticConfigs[0].Targets, []string{"ebios:" + strconv.Itoa(srv.port)}) {
		t.Errorf("prometheus.yml scrape config %+v: want job ebios, GET /metrics of ebios:%d with the bearer token file of the secret prometheus_metrics_token", sc, srv.port)
	}

	gr := c.Services["grafana"]
	for _, v := range []string{root + "/deploy/grafana/provisioning:/etc/grafana/provisioning:ro", root + "/deploy/grafana/dashboards:/var/lib/grafana/dashboards:ro"} {
		if !slices.Contains(gr.Volumes, v) {
			t.Errorf("grafana volumes %v lack %s", gr.Volumes, v)
		}
	}
}
