package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"jixiao"
	"jixiao/registry"
)

// Metrics are the service's Prometheus metrics, in a registry of their
// own rather than the global default.
type Metrics struct {
	reg            *prometheus.Registry
	requests       *prometheus.HistogramVec
	projectsScored prometheus.Counter
	ruleReloads    *prometheus.CounterVec
	activeRuleSets *prometheus.GaugeVec
}

// NewMetrics registers the metrics.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jixiao_http_request_duration_seconds",
			Help:    "HTTP request durations by route template.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"method", "route", "status"}),
		projectsScored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jixiao_projects_scored_total",
			Help: "Projects scored, official and simulated.",
		}),
		ruleReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jixiao_rule_reloads_total",
			Help: "Rule-file load attempts by result (ok or error).",
		}, []string{"ruleset", "result"}),
		activeRuleSets: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jixiao_ruleset_active",
			Help: "1 for the active version of each rule set, labelled with its hash.",
		}, []string{"ruleset", "version", "hash"}),
	}
	m.reg.MustRegister(m.requests, m.projectsScored, m.ruleReloads, m.activeRuleSets,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *Metrics) handler() gin.HandlerFunc {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return func(c *gin.Context) { h.ServeHTTP(c.Writer, c.Request) }
}

func (m *Metrics) observe(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(methodLabel(method), route, strconv.Itoa(status)).Observe(d.Seconds())
}

// methodLabel keeps the method label to the methods of HTTP: any other
// method a client sends is "other", so that clients cannot grow the
// metrics without bound.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// Scored counts scored projects.
func (m *Metrics) Scored(n int) { m.projectsScored.Add(float64(n)) }

// Reloaded counts a rule-file load attempt.
func (m *Metrics) Reloaded(ruleset string, ok bool) {
	result := "ok"
	if !ok {
		result = "error"
	}
	m.ruleReloads.WithLabelValues(ruleset, result).Inc()
}

// RulesLoaded makes the rule-reload series of every rule set exist from
// the start, so that a rate or an alert on errors has a series to read,
// and counts the built-ins loaded at start-up (the files count themselves
// as they load). Call it once, when the registry's Load has finished; New
// does for a registry that is ready.
func (m *Metrics) RulesLoaded(status []registry.Status) {
	for _, st := range status {
		if st.ID == "" {
			continue
		}
		ok := m.ruleReloads.WithLabelValues(st.ID, "ok")
		m.ruleReloads.WithLabelValues(st.ID, "error").Add(0)
		if st.Source == jixiao.SourceBuiltin {
			ok.Inc()
		}
	}
}

// Activated records the active version of a rule set.
func (m *Metrics) Activated(ruleset, version, hash string) {
	m.activeRuleSets.DeletePartialMatch(prometheus.Labels{"ruleset": ruleset})
	m.activeRuleSets.WithLabelValues(ruleset, version, hash).Set(1)
}
