package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"jixiao"
)

func (s *Server) listDepartments(c *gin.Context) {
	list, err := s.store.FindDepartments(c.Request.Context())
	items(s, c, list, err)
}

func (s *Server) createDepartment(c *gin.Context) {
	var req struct {
		Code       string `json:"code"`
		Name       string `json:"name"`
		ParentCode string `json:"parent_code"`
	}
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	dep := jixiao.Department{Code: strings.TrimSpace(req.Code), Name: strings.TrimSpace(req.Name), ParentCode: strings.TrimSpace(req.ParentCode)}
	if msg := jixiao.ValidDepartmentCode(dep.Code); msg != "" {
		s.fail(c, invalidField("code", "%s", msg))
		return
	}
	if err := departmentName(dep.Name); err != nil {
		s.fail(c, err)
		return
	}
	if err := s.store.CreateDepartment(c.Request.Context(), &dep); err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, "department.create", dep.Code, gin.H{"name": dep.Name, "parent_code": dep.ParentCode})
	c.JSON(http.StatusCreated, dep)
}

func departmentName(name string) error {
	if name == "" || len([]rune(name)) > 100 {
		return invalidField("name", "部门名称须为 1 至 100 个字符")
	}
	if msg := jixiao.LabelProblem(name); msg != "" {
		return invalidField("name", "%s", msg)
	}
	return nil
}

// updateDepartment renames a department or changes its parent. Imports
// match the new name from then on.
func (s *Server) updateDepartment(c *gin.Context) {
	var req struct {
		Name       *string `json:"name"`
		ParentCode *string `json:"parent_code"`
	}
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	dep, err := s.store.FindDepartment(c.Request.Context(), c.Param("code"))
	if err != nil {
		s.fail(c, err)
		return
	}
	if req.Name != nil {
		dep.Name = strings.TrimSpace(*req.Name)
		if err := departmentName(dep.Name); err != nil {
			s.fail(c, err)
			return
		}
	}
	if req.ParentCode != nil {
		dep.ParentCode = strings.TrimSpace(*req.ParentCode)
	}
	if err := s.store.UpdateDepartment(c.Request.Context(), dep); err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, "department.update", dep.Code, gin.H{"name": dep.Name, "parent_code": dep.ParentCode})
	c.JSON(http.StatusOK, dep)
}

// mergeDepartment moves a department's projects and subordinate units to
// another, for departments an import made from a name written another
// way.
func (s *Server) mergeDepartment(c *gin.Context) {
	var req struct {
		Into string `json:"into"`
	}
	if err := decodeJSON(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	from := c.Param("code")
	moved, err := s.store.MergeDepartment(c.Request.Context(), from, strings.TrimSpace(req.Into))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.audit(c, "department.merge", from, gin.H{"into": req.Into, "projects": moved})
	c.JSON(http.StatusOK, gin.H{"moved_projects": moved})
}
