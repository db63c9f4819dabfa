package sandbox

import (
	"net/http"
	"time"
)

// routesControl is the API tests and demos use to make providers misbehave
// and to pay orders without a browser. It is unauthenticated: the
// simulator listens on loopback and holds only sandbox credentials.
func (s *Server) routesControl(mux *http.ServeMux) {
	mux.HandleFunc("GET /control/faults", s.getFaults)
	mux.HandleFunc("PUT /control/faults/{provider}", s.putFault)
	mux.HandleFunc("POST /control/faults/{provider}", s.putFault)
	mux.HandleFunc("DELETE /control/faults/{provider}", s.deleteFault)
	mux.HandleFunc("POST /control/reset", s.reset)
	mux.HandleFunc("POST /control/pay", s.controlPay)
	mux.HandleFunc("GET /control/orders", s.listOrders)
	mux.HandleFunc("GET /control/report", s.getReport)
	mux.HandleFunc("POST /control/report", s.writeReport)
}

type controlError struct {
	Error string `json:"error"`
}

func (s *Server) getFaults(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	out := make(map[string]Fault, len(s.faults))
	for p, f := range s.faults {
		out[p] = f
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) putFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	if err := readStrict(w, r, 4<<10, &f, true); err != nil {
		writeJSON(w, http.StatusBadRequest, controlError{"body: " + err.Error()})
		return
	}
	if err := s.SetFault(r.PathValue("provider"), f); err != nil {
		writeJSON(w, http.StatusBadRequest, controlError{err.Error()})
		return
	}
	s.cfg.Log.Info("sandbox fault set", "provider", r.PathValue("provider"), "mode", f.Mode)
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) deleteFault(w http.ResponseWriter, r *http.Request) {
	if err := s.SetFault(r.PathValue("provider"), Fault{}); err != nil {
		writeJSON(w, http.StatusBadRequest, controlError{err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) reset(w http.ResponseWriter, _ *http.Request) {
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) controlPay(w http.ResponseWriter, r *http.Request) {
	var req PayRequest
	if err := readStrict(w, r, 16<<10, &req, true); err != nil {
		writeJSON(w, http.StatusBadRequest, controlError{"body: " + err.Error()})
		return
	}
	res, err := s.Pay(req)
	if err != nil {
		writeJSON(w, payStatus(err), controlError{err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Orders(r.URL.Query().Get("provider")))
}

// day reads ?date=YYYY-MM-DD (Vietnam time), default today.
func (s *Server) day(w http.ResponseWriter, r *http.Request) (time.Time, bool) {
	v := r.URL.Query().Get("date")
	if v == "" {
		return s.now(), true
	}
	d, err := time.ParseInLocation(time.DateOnly, v, ict)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, controlError{"date must be YYYY-MM-DD"})
		return time.Time{}, false
	}
	return d, true
}

func (s *Server) getReport(w http.ResponseWriter, r *http.Request) {
	d, ok := s.day(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+reportName(d)+`"`)
	_, _ = w.Write(s.Report(d))
}

func (s *Server) writeReport(w http.ResponseWriter, r *http.Request) {
	d, ok := s.day(w, r)
	if !ok {
		return
	}
	path, err := s.WriteReport(d)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, controlError{err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"path": path})
}
