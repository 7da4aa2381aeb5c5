; invariant[tick.count.hi]: is there a box point with -r:count + relu(r:count - 1023/1024) + 1023/1024 < 0?
; variables: v0 = r:count
(set-logic QF_LRA)
(set-option :produce-models true)
(declare-fun v0 () Real)
(assert (and (<= 0.0 v0) (<= v0 1.0)))
(define-fun a0 () Real (ite (> (+ v0 (- (/ 1023.0 1024.0))) 0.0) (+ v0 (- (/ 1023.0 1024.0))) 0.0))
(assert (< (+ (* (- 1.0) v0) a0 (/ 1023.0 1024.0)) 0.0))
(check-sat)
