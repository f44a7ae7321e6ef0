package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"jixiao"
)

// RecordActivation returns the registry's OnActivate hook as the service
// wires it: every version that becomes active is stored, marked active,
// audited and shown in the metrics, so that any score can be reproduced
// from its rule-set hash. A version that cannot be stored or marked active
// is not activated (the error goes back to the registry); an audit entry
// that cannot be written is logged.
func RecordActivation(store jixiao.Store, metrics *Metrics, logger *slog.Logger) func(jixiao.RuleSetVersion) error {
	return func(v jixiao.RuleSetVersion) error {
		ctx := context.Background()
		if v.LoadedBy == "" {
			v.LoadedBy = "system"
		}
		if err := store.SaveRuleSetVersion(ctx, v); err != nil {
			return fmt.Errorf("storing the version: %w", err)
		}
		at := time.Now().UTC()
		if v.ActivatedAt != nil {
			at = *v.ActivatedAt
		}
		if err := store.MarkRuleSetActivated(ctx, v.RuleSetID, v.Hash, at); err != nil {
			return fmt.Errorf("marking the version active: %w", err)
		}
		detail, _ := json.Marshal(map[string]string{"version": v.Version, "hash": v.Hash, "source": v.Source, "path": v.Path})
		if err := store.AddAudit(ctx, jixiao.AuditEntry{At: at, Actor: v.LoadedBy, Action: "ruleset.activate", Subject: v.RuleSetID, Detail: detail}); err != nil {
			logger.Error("auditing rule-set activation", "ruleset", v.RuleSetID, "error", err)
		}
		if metrics != nil {
			metrics.Activated(v.RuleSetID, v.Version, v.Hash)
		}
		return nil
	}
}
