package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"

	"jixiao"
)

//go:embed openapi.yaml
var openAPISpec []byte

// OpenAPISpec returns the hand-written OpenAPI 3 document.
func OpenAPISpec() []byte { return openAPISpec }

func (s *Server) openAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml", openAPISpec)
}

// rulesLoaded answers 503 to API requests while the rule files are being
// loaded at start-up: until then a rule set could be missing, or be the
// built-in where a file overrides it.
func (s *Server) rulesLoaded(c *gin.Context) {
	if s.rules.Ready() {
		return
	}
	c.Header("Retry-After", "5")
	s.fail(c, jixiao.Errorf(jixiao.EUNAVAILABLE, "服务正在启动，规则文件尚未加载完，请稍后再试"))
	c.Abort()
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz reports ready when the database answers and the rules are loaded.
func (s *Server) readyz(c *gin.Context) {
	if err := s.store.Ping(c.Request.Context()); err != nil {
		s.fail(c, jixiao.Errorf(jixiao.EUNAVAILABLE, "database unreachable: %v", err))
		return
	}
	// An instance that shares its database (PostgreSQL) and cannot hear
	// the others' rule activations could score with an old version.
	if l, ok := s.store.(interface{ Listening() bool }); ok && !l.Listening() {
		s.fail(c, jixiao.Errorf(jixiao.EUNAVAILABLE, "未连接到数据库的规则变更通知，正在重连"))
		return
	}
	if !s.rules.Ready() {
		s.fail(c, jixiao.Errorf(jixiao.EUNAVAILABLE, "规则文件正在加载，尚未就绪"))
		return
	}
	if s.starting != nil {
		if err := s.starting(); err != nil {
			s.fail(c, jixiao.Errorf(jixiao.EUNAVAILABLE, "尚未就绪：%v", err))
			return
		}
	}
	// Rule files that do not load: the service is ready, on the version
	// each shows, and says so.
	problems := []gin.H{}
	for _, st := range s.rules.Status() {
		if len(st.Errors) == 0 {
			continue
		}
		p := gin.H{"id": st.ID, "files": len(st.Errors)}
		if st.Active != nil {
			p["serving"] = gin.H{"version": st.Active.Version, "hash": st.Active.Hash, "source": st.Source}
		}
		if st.ID == "" {
			p["path"] = st.Path
		}
		problems = append(problems, p)
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "database": "ok", "listener": "ok", "rulesets": len(s.rules.Snapshot().IDs()), "rule_problems": problems})
}
