package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"jixiao"
)

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Instance  string              `json:"instance,omitempty"`
	Code      string              `json:"code"`
	Errors    []jixiao.FieldError `json:"errors,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
}

// statusOf maps each application error code to its HTTP status. It is the
// one place where this mapping lives.
var statusOf = map[string]int{
	jixiao.EMALFORMED:    http.StatusBadRequest,
	jixiao.EUNAUTHORIZED: http.StatusUnauthorized,
	jixiao.EFORBIDDEN:    http.StatusForbidden,
	jixiao.ENOTFOUND:     http.StatusNotFound,
	jixiao.ECONFLICT:     http.StatusConflict,
	jixiao.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	jixiao.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	jixiao.EINVALID:      http.StatusUnprocessableEntity,
	jixiao.EINTERNAL:     http.StatusInternalServerError,
	jixiao.EUNAVAILABLE:  http.StatusServiceUnavailable,
	jixiao.EFULL:         http.StatusInsufficientStorage,
	jixiao.ETOOMANY:      http.StatusTooManyRequests,
}

var titleOf = map[string]string{
	jixiao.EMALFORMED:    "Malformed request",
	jixiao.EUNAUTHORIZED: "Authentication required",
	jixiao.EFORBIDDEN:    "Not allowed",
	jixiao.ENOTFOUND:     "Not found",
	jixiao.ECONFLICT:     "Conflict",
	jixiao.ETOOLARGE:     "Request body too large",
	jixiao.EUNSUPPORTED:  "Unsupported media type",
	jixiao.EINVALID:      "Invalid request",
	jixiao.EINTERNAL:     "Internal error",
	jixiao.EUNAVAILABLE:  "Service unavailable",
	jixiao.EFULL:         "Storage full",
	jixiao.ETOOMANY:      "Too many requests",
}

const problemContentType = "application/problem+json"

// statusClientClosed records a request whose client went away before the
// answer (nginx's 499).
const statusClientClosed = 499

// fail writes err as a problem response and stops the handler chain.
// Internal errors are logged with the request id and shown generically.
func (s *Server) fail(c *gin.Context, err error) {
	if errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil {
		// The client went away: not the server's failure, and nobody
		// reads the answer. Logged and counted as 499, as proxies do.
		s.logger.InfoContext(c.Request.Context(), "client closed the request", "request_id", requestID(c), "path", c.Request.URL.Path)
		c.AbortWithStatus(statusClientClosed)
		return
	}
	if u, ok := s.store.(interface{ Unavailable(error) bool }); ok && jixiao.ErrorCode(err) == jixiao.EINTERNAL && u.Unavailable(err) {
		// The database is away (a restart, a network break): the pools
		// reconnect by themselves, so the request may be tried again.
		c.Header("Retry-After", "5")
		err = jixiao.Errorf(jixiao.EUNAVAILABLE, "数据库暂时无法连接，请稍后再试（%v）", err)
	}
	code := jixiao.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	p := Problem{
		Type:      "urn:jixiao:problem:" + code,
		Title:     titleOf[code],
		Status:    status,
		Detail:    jixiao.ErrorMessage(err),
		Instance:  c.Request.URL.Path,
		Code:      code,
		RequestID: requestID(c),
	}
	var e *jixiao.Error
	if errors.As(err, &e) {
		p.Errors = e.Details
	}
	if code == jixiao.EINTERNAL {
		s.logger.ErrorContext(c.Request.Context(), "request failed", "request_id", p.RequestID, "path", c.Request.URL.Path, "error", err)
	}
	if status == http.StatusUnauthorized && c.Writer.Header().Get("WWW-Authenticate") == "" {
		c.Header("WWW-Authenticate", `Bearer realm="jixiao"`) // RFC 9110: every 401 names a scheme
	}
	c.Header("Content-Type", problemContentType)
	c.AbortWithStatusJSON(status, p)
}
