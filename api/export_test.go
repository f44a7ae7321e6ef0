package api

// TakeAllSlots takes every evaluation and simulation slot of s, as running
// work would, and returns what gives them back.
func TakeAllSlots(s *Server) (giveBack func()) {
	var took []slots
	for _, sl := range []slots{s.evaluations, s.simulations} {
		for sl.take() {
			took = append(took, sl)
		}
	}
	return func() {
		for _, sl := range took {
			sl.give()
		}
	}
}
