package deploy

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"
)

const (
	prometheusFile       = "prometheus/prometheus.yml"
	dashboardFile        = "grafana/dashboard.json"
	grafanaDatasources   = "grafana/provisioning/datasources/prometheus.yml"
	grafanaDashboards    = "grafana/provisioning/dashboards/paysuite.yml"
	rabbitmqPluginsFile  = "rabbitmq/enabled_plugins"
	prometheusConfigPath = "/etc/prometheus/prometheus.yml"
	alertRulesFile       = "prometheus/alerts.yml"
)

// promConfig is the part of Prometheus's configuration the stack uses. It is
// decoded strictly, so that a misspelt key fails here rather than being
// ignored by Prometheus's defaults.
type promConfig struct {
	Global struct {
		ScrapeInterval     string `yaml:"scrape_interval"`
		EvaluationInterval string `yaml:"evaluation_interval"`
	} `yaml:"global"`
	RuleFiles     []string       `yaml:"rule_files"`
	ScrapeConfigs []scrapeConfig `yaml:"scrape_configs"`
}

type scrapeConfig struct {
	JobName        string `yaml:"job_name"`
	MetricsPath    string `yaml:"metrics_path"`
	ScrapeInterval string `yaml:"scrape_interval"`
	DNSSD          []struct {
		Names           []string `yaml:"names"`
		Type            string   `yaml:"type"`
		Port            int      `yaml:"port"`
		RefreshInterval string   `yaml:"refresh_interval"`
	} `yaml:"dns_sd_configs"`
	Static []struct {
		Targets []string          `yaml:"targets"`
		Labels  map[string]string `yaml:"labels"`
	} `yaml:"static_configs"`
}

func readPrometheusConfig(t *testing.T) promConfig {
	t.Helper()
	text, err := os.ReadFile(prometheusFile)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(text))
	dec.KnownFields(true)
	var cfg promConfig
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("%s: %v", prometheusFile, err)
	}
	return cfg
}

// TestPrometheusScrapesEveryService checks that every service of the stack has
// a scrape job that finds all its replicas through DNS, on the port of its
// HTTP_ADDR, and that the monitoring profile mounts this configuration.
func TestPrometheusScrapesEveryService(t *testing.T) {
	cfg := readPrometheusConfig(t)
	p := mustLoad(t, []string{composeFile}, devEnv(t), monitoringProfile)
	jobs := map[string]scrapeConfig{}
	for _, sc := range cfg.ScrapeConfigs {
		if _, dup := jobs[sc.JobName]; dup {
			t.Errorf("%s: job %s defined twice", prometheusFile, sc.JobName)
		}
		jobs[sc.JobName] = sc
		for _, sd := range sc.DNSSD {
			for _, name := range sd.Names {
				if _, ok := p.Services[name]; !ok {
					t.Errorf("%s: job %s resolves %q, which is no Compose service", prometheusFile, sc.JobName, name)
				}
			}
		}
	}
	for _, name := range appServices(p) {
		port, err := httpPort(p.Services[name])
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		job, ok := jobs[name]
		if !ok {
			t.Errorf("%s: no scrape job %q", prometheusFile, name)
			continue
		}
		if job.MetricsPath != "" && job.MetricsPath != "/metrics" {
			t.Errorf("job %s: metrics_path %q, the services serve /metrics", name, job.MetricsPath)
		}
		// A static target would name one replica; DNS gives them all.
		if len(job.DNSSD) != 1 || len(job.Static) != 0 {
			t.Errorf("job %s: want exactly one dns_sd_configs entry and no static targets", name)
			continue
		}
		sd := job.DNSSD[0]
		if !slices.Equal(sd.Names, []string{name}) || sd.Type != "A" || sd.Port != port {
			t.Errorf("job %s: dns_sd_configs %+v, want names [%s], type A, port %d (its HTTP_ADDR)", name, sd, name, port)
		}
	}

	// The broker's own exporter: the plugin is enabled and scraped.
	plugins, err := os.ReadFile(rabbitmqPluginsFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(plugins), "rabbitmq_prometheus") {
		t.Errorf("%s does not enable rabbitmq_prometheus", rabbitmqPluginsFile)
	}
	if !mounts(p.Services["rabbitmq"], rabbitmqPluginsFile, "/etc/rabbitmq/enabled_plugins") {
		t.Errorf("rabbitmq does not mount %s", rabbitmqPluginsFile)
	}
	rabbit, ok := jobs["rabbitmq"]
	if !ok || len(rabbit.Static) != 1 || !slices.Equal(rabbit.Static[0].Targets, []string{"rabbitmq:15692"}) {
		t.Errorf("%s: want a rabbitmq job with target rabbitmq:15692", prometheusFile)
	}

	prom := p.Services["prometheus"]
	if !mounts(prom, prometheusFile, prometheusConfigPath) {
		t.Errorf("prometheus does not mount %s at %s", prometheusFile, prometheusConfigPath)
	}
	if !slices.Contains(prom.Command, "--config.file="+prometheusConfigPath) {
		t.Errorf("prometheus command %q does not read %s", prom.Command, prometheusConfigPath)
	}
}

// alertRules is Prometheus's rule file format, the part the stack uses.
type alertRules struct {
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

// promDuration is a Prometheus duration: a number and a unit, repeated.
var promDuration = regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)

// TestPrometheusAlertRules checks that prometheus.yml loads the alert rules,
// and that each rule is well formed and watches series the suite exports.
func TestPrometheusAlertRules(t *testing.T) {
	cfg := readPrometheusConfig(t)
	if !slices.Contains(cfg.RuleFiles, filepath.Base(alertRulesFile)) {
		t.Errorf("%s: rule_files %v does not load %s", prometheusFile, cfg.RuleFiles, alertRulesFile)
	}
	var doc alertRules
	decodeYAMLFile(t, alertRulesFile, &doc)
	registered := registeredMetrics(t)
	alerts := map[string]bool{}
	for _, g := range doc.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("%s: group %q: want a name and rules", alertRulesFile, g.Name)
		}
		for _, r := range g.Rules {
			if r.Alert == "" || alerts[r.Alert] {
				t.Errorf("%s: alert %q: want a name, once", alertRulesFile, r.Alert)
			}
			alerts[r.Alert] = true
			if r.For != "" && !promDuration.MatchString(r.For) {
				t.Errorf("alert %s: for %q is not a duration", r.Alert, r.For)
			}
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("alert %s: want a severity label, a summary and a description", r.Alert)
			}
			names := metricNames(r.Expr)
			if len(names) == 0 {
				t.Errorf("alert %s: %q names no series", r.Alert, r.Expr)
			}
			for _, name := range names {
				if !registered[name] {
					t.Errorf("alert %s watches %s, which no Go code registers", r.Alert, name)
				}
			}
		}
	}
	if len(alerts) == 0 {
		t.Errorf("%s: no alert rules", alertRulesFile)
	}
}

// mounts tells whether svc bind-mounts the file of this directory at target.
func mounts(svc types.ServiceConfig, file, target string) bool {
	abs, err := filepath.Abs(file)
	if err != nil {
		return false
	}
	for _, v := range svc.Volumes {
		if v.Type == "bind" && filepath.Clean(v.Source) == abs && v.Target == target {
			return true
		}
	}
	return false
}

// grafanaPanel is the part of a Grafana panel the checks read.
type grafanaPanel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource *grafanaDS      `json:"datasource"`
	Targets    []grafanaTarget `json:"targets"`
	Panels     []grafanaPanel  `json:"panels"` // a row's panels
}

type grafanaDS struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type grafanaTarget struct {
	Expr       string     `json:"expr"`
	RefID      string     `json:"refId"`
	Datasource *grafanaDS `json:"datasource"`
}

type dashboard struct {
	UID    string         `json:"uid"`
	Title  string         `json:"title"`
	Panels []grafanaPanel `json:"panels"`
}

// runtimeSeries are exported by the Go and process collectors that ops.New
// registers in every service (client_golang builds these names at run time,
// so they are not found as literals).
var runtimeSeries = []string{"go_goroutines", "process_resident_memory_bytes", "process_cpu_seconds_total"}

// rabbitmqSeries are exported by the broker's rabbitmq_prometheus plugin on
// /metrics/per-object.
var rabbitmqSeries = []string{
	"rabbitmq_queue_messages", "rabbitmq_queue_messages_ready", "rabbitmq_queue_messages_unacked",
	"rabbitmq_queue_consumers", "rabbitmq_channel_messages_delivered_ack_total", "rabbitmq_channel_messages_acked_total",
	"rabbitmq_channel_messages_redelivered_total", "rabbitmq_channel_messages_published_total",
	"rabbitmq_channel_messages_unroutable_returned_total",
}

// TestGrafanaDashboard checks that the dashboard parses, queries the
// provisioned data source, and queries only series that exist: the suite's own
// (registered in its Go code), the runtime collectors', the broker exporter's
// and Prometheus's `up`. It also wants a panel for every series of the suite.
func TestGrafanaDashboard(t *testing.T) {
	text, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(text, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if d.UID == "" || d.Title == "" {
		t.Errorf("%s: uid and title must be set", dashboardFile)
	}
	uid := provisionedDatasourceUID(t)
	registered := registeredMetrics(t)
	runtimeRegistered := opsRegistersRuntimeCollectors(t)

	queried := map[string]bool{}
	ids := map[int]string{}
	var walk func(panels []grafanaPanel)
	walk = func(panels []grafanaPanel) {
		for _, pn := range panels {
			if other, dup := ids[pn.ID]; dup {
				t.Errorf("panels %q and %q share id %d", pn.Title, other, pn.ID)
			}
			ids[pn.ID] = pn.Title
			walk(pn.Panels)
			if pn.Type == "row" {
				continue
			}
			if pn.Title == "" || len(pn.Targets) == 0 {
				t.Errorf("panel %d: want a title and at least one query", pn.ID)
			}
			if pn.Datasource == nil || pn.Datasource.UID != uid {
				t.Errorf("panel %q: data source %+v, want uid %q (%s)", pn.Title, pn.Datasource, uid, grafanaDatasources)
			}
			for _, tg := range pn.Targets {
				if tg.Datasource != nil && tg.Datasource.UID != uid {
					t.Errorf("panel %q: query %s uses data source %q, want %q", pn.Title, tg.RefID, tg.Datasource.UID, uid)
				}
				names := metricNames(tg.Expr)
				if len(names) == 0 {
					t.Errorf("panel %q: query %q names no series", pn.Title, tg.Expr)
				}
				for _, name := range names {
					name = histogramBase(name, registered)
					queried[name] = true
					switch {
					case name == "up":
					case strings.HasPrefix(name, "paysuite_"):
						if !registered[name] {
							t.Errorf("panel %q queries %s, which no Go code registers (prometheus ...Opts{Name: %q})", pn.Title, name, name)
						}
					case slices.Contains(runtimeSeries, name):
						if !runtimeRegistered {
							t.Errorf("panel %q queries %s, but pkg/ops no longer registers the Go and process collectors", pn.Title, name)
						}
					case slices.Contains(rabbitmqSeries, name):
					default:
						t.Errorf("panel %q queries %s, which is none of the suite's, the runtime's or the broker's series", pn.Title, name)
					}
				}
			}
		}
	}
	walk(d.Panels)
	for name := range registered {
		if !queried[name] {
			t.Errorf("%s is registered in the code but no panel of %s shows it", name, dashboardFile)
		}
	}

	// Grafana loads the dashboard from where the provider looks.
	p := mustLoad(t, []string{composeFile}, devEnv(t), monitoringProfile)
	dir := provisionedDashboardDir(t)
	if !mounts(p.Services["grafana"], dashboardFile, dir+"/paysuite.json") {
		t.Errorf("grafana does not mount %s into %s, the directory of %s", dashboardFile, dir, grafanaDashboards)
	}
	if !mounts(p.Services["grafana"], "grafana/provisioning", "/etc/grafana/provisioning") {
		t.Error("grafana does not mount deploy/grafana/provisioning at /etc/grafana/provisioning")
	}
}

// histogramBase maps the _bucket, _sum and _count series of a registered
// histogram to the histogram's name, which is what the code registers.
func histogramBase(name string, registered map[string]bool) string {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && registered[base] {
			return base
		}
	}
	return name
}

// provisionedDatasourceUID reads the uid of the provisioned Prometheus data
// source, which must point at the Compose service.
func provisionedDatasourceUID(t *testing.T) string {
	t.Helper()
	var doc struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name      string `yaml:"name"`
			UID       string `yaml:"uid"`
			Type      string `yaml:"type"`
			Access    string `yaml:"access"`
			URL       string `yaml:"url"`
			IsDefault bool   `yaml:"isDefault"`
			Editable  bool   `yaml:"editable"`
		} `yaml:"datasources"`
	}
	decodeYAMLFile(t, grafanaDatasources, &doc)
	if len(doc.Datasources) != 1 {
		t.Fatalf("%s: want one data source, got %d", grafanaDatasources, len(doc.Datasources))
	}
	ds := doc.Datasources[0]
	if ds.Type != "prometheus" || ds.URL != "http://prometheus:9090" || ds.UID == "" {
		t.Errorf("%s: %+v, want type prometheus, url http://prometheus:9090 and a uid", grafanaDatasources, ds)
	}
	return ds.UID
}

// provisionedDashboardDir reads the directory the dashboard provider loads.
func provisionedDashboardDir(t *testing.T) string {
	t.Helper()
	var doc struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name            string `yaml:"name"`
			Folder          string `yaml:"folder"`
			Type            string `yaml:"type"`
			DisableDeletion bool   `yaml:"disableDeletion"`
			AllowUIUpdates  bool   `yaml:"allowUiUpdates"`
			Options         struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	decodeYAMLFile(t, grafanaDashboards, &doc)
	if len(doc.Providers) != 1 || doc.Providers[0].Type != "file" || doc.Providers[0].Options.Path == "" {
		t.Fatalf("%s: want one file provider with a path", grafanaDashboards)
	}
	return doc.Providers[0].Options.Path
}

func decodeYAMLFile(t *testing.T, path string, v any) {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// metricOptName matches the name given to a collector of the suite:
// prometheus.GaugeOpts{Name: "paysuite_..."}, CounterOpts, HistogramOpts...
var metricOptName = regexp.MustCompile(`Name:\s*"(paysuite_[a-z0-9_]+)"`)

// registeredMetrics returns the suite's metric names found in the non-test Go
// files of pkg/ and services/.
func registeredMetrics(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, dir := range []string{"pkg", "services"} {
		err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if e.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			text, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range metricOptName.FindAllSubmatch(text, -1) {
				out[string(m[1])] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The series the dashboard was built on; if none is found the search
	// itself is broken.
	for _, want := range []string{"paysuite_outbox_backlog", "paysuite_listener_blocks_behind", "paysuite_deposits_total", "paysuite_topup_requests_total"} {
		if !out[want] {
			t.Errorf("%s is not registered in pkg/ or services/ any more", want)
		}
	}
	return out
}

// opsRegistersRuntimeCollectors tells whether pkg/ops registers the Go and
// process collectors in every service's registry.
func opsRegistersRuntimeCollectors(t *testing.T) bool {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(repoRoot, "pkg", "ops", "ops.go"))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(text, []byte("collectors.NewGoCollector(")) && bytes.Contains(text, []byte("collectors.NewProcessCollector("))
}

var (
	promString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promOffset   = regexp.MustCompile(`\boffset\s+-?[0-9a-z]+`)
	promVariable = regexp.MustCompile(`\$\{?[A-Za-z_][A-Za-z0-9_]*\}?`)
	promIdent    = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
	promKeywords = map[string]bool{
		"and": true, "or": true, "unless": true, "bool": true, "by": true, "without": true, "on": true,
		"ignoring": true, "group_left": true, "group_right": true, "offset": true, "inf": true, "nan": true,
	}
)

// metricNames returns the series names a PromQL expression selects: the
// identifiers left once strings, label matchers, ranges, grouping clauses and
// Grafana variables are removed, that are neither keywords nor function calls.
func metricNames(expr string) []string {
	for _, re := range []*regexp.Regexp{promString, promMatchers, promRanges, promGrouping, promOffset, promVariable} {
		expr = re.ReplaceAllString(expr, " ")
	}
	var out []string
	for _, loc := range promIdent.FindAllStringIndex(expr, -1) {
		name := expr[loc[0]:loc[1]]
		// Part of a number such as 1e3.
		if loc[0] > 0 && (expr[loc[0]-1] >= '0' && expr[loc[0]-1] <= '9' || expr[loc[0]-1] == '.') {
			continue
		}
		if promKeywords[strings.ToLower(name)] {
			continue
		}
		if strings.HasPrefix(strings.TrimLeft(expr[loc[1]:], " \t\n"), "(") {
			continue // a function or an aggregation
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

func TestMetricNames(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`sum by (outcome) (rate(paysuite_topup_requests_total[$__rate_interval]))`, []string{"paysuite_topup_requests_total"}},
		{`max(a_total and on (instance) (b_leader == 1))`, []string{"a_total", "b_leader"}},
		{`sum(x{queue="pay.dead.queue", job=~"a|b"}) / 1e3 offset 5m`, []string{"x"}},
		{`histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m])))`, []string{"h_bucket"}},
		{`up`, []string{"up"}},
	}
	for _, tt := range tests {
		if got := metricNames(tt.expr); !slices.Equal(got, tt.want) {
			t.Errorf("metricNames(%q) = %v, want %v", tt.expr, got, tt.want)
		}
	}
}
