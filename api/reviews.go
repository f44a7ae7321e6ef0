package api

import (
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"jixiao"
)

// getReview answers a project's review status and history.
func (s *Server) getReview(c *gin.Context) {
	year, ok := s.pathYear(c)
	if !ok {
		return
	}
	state, err := s.store.FindReviews(c.Request.Context(), year, c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, state)
}

// getVersion answers a version of a project that its review history
// names (or its current one), to compare what was submitted, returned
// and approved.
func (s *Server) getVersion(c *gin.Context) {
	year, ok := s.pathYear(c)
	if !ok {
		return
	}
	p, err := s.store.FindProjectVersion(c.Request.Context(), year, c.Param("id"), c.Param("hash"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// review is one step of the review: submit (a department's, or the
// bureau's on its behalf), approve or return (a reviewer's).
func (s *Server) review(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		var req struct {
			InputHash         string             `json:"input_hash"`
			Comment           string             `json:"comment"`
			IndicatorComments map[string]string  `json:"indicator_comments"`
			Deductions        []jixiao.Deduction `json:"deductions"`
		}
		if action != jixiao.ReviewSubmit || c.Request.ContentLength > 0 {
			if err := decodeJSON(c, &req); err != nil {
				s.fail(c, err)
				return
			}
		}
		year, ok := s.pathYear(c)
		if !ok {
			return
		}
		if action != jixiao.ReviewSubmit && req.InputHash == "" {
			s.fail(c, invalidField("input_hash", "须给出所审核版本的 input_hash"))
			return
		}
		if action != jixiao.ReviewApprove && len(req.Deductions) > 0 {
			s.fail(c, invalidField("deductions", "复核扣分随审核通过填写"))
			return
		}
		r := jixiao.Review{Action: action, InputHash: req.InputHash, Actor: actor(c), Comment: strings.TrimSpace(req.Comment),
			IndicatorComments: req.IndicatorComments, Deductions: req.Deductions}
		for _, text := range append([]string{r.Comment}, slices.Collect(maps.Values(r.IndicatorComments))...) {
			if len([]rune(text)) > 2000 {
				s.fail(c, invalidField("comment", "意见至多 2000 个字符"))
				return
			}
		}
		state, err := s.store.Review(c.Request.Context(), year, c.Param("id"), r)
		if err != nil {
			s.fail(c, err)
			return
		}
		s.audit(c, "project."+action, strconv.Itoa(year)+"/"+c.Param("id"), gin.H{"input_hash": state.InputHash, "status": state.Status})
		c.JSON(http.StatusOK, state)
	}
}
