Theorem a_one : True. Proof. exact I. Qed.
(* Theorem in_comment : True. *)
Theorem a_two : True. Proof. exact I. Qed.
