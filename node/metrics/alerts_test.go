package metrics_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/casenode/casenode/node/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"
)

// TestAlertRules: the example alerting rules parse strictly, every alert
// has a severity and a summary, and every casenode metric an expression
// names is one the node exports; promtool checks the file too where it is
// installed.
func TestAlertRules(t *testing.T) {
	path := filepath.Join("..", "..", "scripts", "prometheus", "casenode-alerts.yml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	exported := nodeMetricNames(t)
	name := regexp.MustCompile(`casenode_[a-z_]+`)
	alerts := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			alerts++
			if r.Alert == "" || r.Expr == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("rule %+v lacks a name, an expression or its annotations", r)
			}
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("%s: severity %q", r.Alert, s)
			}
			for _, m := range name.FindAllString(r.Expr, -1) {
				if !exported[m] {
					t.Errorf("%s: %s is not a metric the node exports", r.Alert, m)
				}
			}
		}
	}
	if alerts < 10 {
		t.Errorf("%d alerts", alerts)
	}
	if _, err := exec.LookPath("promtool"); err == nil {
		if out, err := exec.Command("promtool", "check", "rules", path).CombinedOutput(); err != nil {
			t.Errorf("promtool: %v\n%s", err, out)
		}
	}
}

// nodeMetricNames returns the names of the metrics a node's collector and
// commit histogram describe.
func nodeMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	ch := make(chan *prometheus.Desc, 100)
	metrics.NodeCollector(nil, nil).Describe(ch)
	metrics.NodeCommitSeconds().Describe(ch)
	metrics.CertCollector(nil, nil).Describe(ch)
	metrics.HubCollector(nil, nil).Describe(ch)
	close(ch)
	names := map[string]bool{}
	re := regexp.MustCompile(`fqName: "([a-z_]+)"`)
	for d := range ch {
		if m := re.FindStringSubmatch(d.String()); m != nil {
			names[m[1]] = true
		}
	}
	if len(names) < 20 {
		t.Fatalf("%d metric names described: %v", len(names), names)
	}
	return names
}
