; invariant[tick.count.hi]: is there a box point with -r:count + relu(r:count - 1023/1024) + 1023/1024 < 0?
(set-logic QF_LRA)
(set-option :produce-models true)
(declare-fun |r:count| () Real)
(assert (and (<= 0.0 |r:count|) (<= |r:count| 1.0)))
(define-fun relu0 () Real (ite (> (+ |r:count| (- (/ 1023.0 1024.0))) 0.0) (+ |r:count| (- (/ 1023.0 1024.0))) 0.0))
(assert (< (+ (* (- 1.0) |r:count|) relu0 (/ 1023.0 1024.0)) 0.0))
(check-sat)
