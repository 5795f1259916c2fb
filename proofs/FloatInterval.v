(** * Interval mode in binary64: outward rounding is sound

    Model.  binary64 is Flocq's format [FLT_exp (-1074) 53] in radix 2
    (53-bit significands, subnormals down to 2^-1074, and NO upper bound on
    exponents).  Every Go floating-point operation [a op b] is modelled as
    [RN (a op b)], rounding to nearest with ties to even;
    [math.FMA(x, y, z)] is [RN (x * y + z)] (one rounding);
    [math.Nextafter(s, +Inf)] is Flocq's [succ s]; [math.Abs] and
    comparisons are exact.

    Assumption (no overflow).  Since the format has unbounded exponents, the
    model agrees with IEEE 754 binary64 exactly as long as no intermediate
    result overflows.  In Go an overflow yields +-Inf, which [core/nu]
    detects and reports as an error, so every value the Go code does return
    is computed by the operations modelled here.  Nothing is assumed about
    underflow: subnormals are modelled exactly.

    The definitions below transcribe [core/nu/round.go] and
    [core/nu/interval.go] line by line. *)

From Coq Require Import Reals Psatz ZArith.
From Flocq Require Import Core Plus_error Mult_error Pff2Flocq.
From EBIOS Require Import NUReal IntervalReal.
Open Scope R_scope.

(** ** The binary64 model *)

Global Instance binary64_prec_gt_0 : Prec_gt_0 53.
Proof. unfold Prec_gt_0; lia. Qed.

Notation fexp := (FLT_exp (-1074) 53).
Notation format := (generic_format radix2 fexp).

(** Ties to even: on a tie, round to the even integer significand. *)
Definition choice (z : Z) : bool := negb (Z.even z).

Definition RN (x : R) : R := round radix2 fexp (Znearest choice) x.

(** [math.Nextafter(s, +Inf)]: the next float above [s]. *)
Definition succ64 (x : R) : R := succ radix2 fexp x.

(** [fmaExact = 0x1p-968] in Go. *)
Definition fmaExact : R := bpow radix2 (-968).

(** ** The Go helpers *)

(** [twoSumErr(a, b, s)]: Knuth's TwoSum error term, with [s = RN (a + b)]:
    [bb := s - a; return (a - (s - bb)) + (b - bb)]. *)
Definition twoSumErr (a b s : R) : R :=
  let bb := RN (s - a) in
  RN (RN (a - RN (s - bb)) + RN (b - bb)).

(** [addUp(a, b)]: [s := a + b; if twoSumErr(a, b, s) > 0 then
    Nextafter(s, +Inf) else s]. *)
Definition addUp (a b : R) : R :=
  let s := RN (a + b) in
  if Rlt_bool 0 (twoSumErr a b s) then succ64 s else s.

(** [mulUp(x, y)]: [if x == 0 || y == 0 then 0]; [p := x * y];
    [if p < fmaExact then Nextafter(p, +Inf)];
    [if FMA(x, y, -p) > 0 then Nextafter(p, +Inf) else p]. *)
Definition mulUp (x y : R) : R :=
  if orb (Req_bool x 0) (Req_bool y 0) then 0 else
  let p := RN (x * y) in
  if Rlt_bool p fmaExact then succ64 p
  else if Rlt_bool 0 (RN (x * y - p)) then succ64 p else p.

(** [mulErr(x, y, n)]: [a := |n|]; [if a >= fmaExact then |FMA(x, y, -n)|
    else Nextafter(a, +Inf) - a]. *)
Definition errMul (x y n : R) : R :=
  let a := Rabs n in
  if Rle_bool fmaExact a then Rabs (RN (x * y - n))
  else RN (succ64 a - a).

(** [IntervalAdd], [IntervalSub], [IntervalMul]. *)
Definition fl_iadd (a b : NU) : NU :=
  let n := RN (nom a + nom b) in
  mkNU n (addUp (addUp (unc a) (unc b)) (Rabs (twoSumErr (nom a) (nom b) n))).

Definition fl_isub (a b : NU) : NU := fl_iadd a (nu_flip b).

Definition fl_imul (a b : NU) : NU :=
  let n := RN (nom a * nom b) in
  let s := addUp (mulUp (Rabs (nom a)) (unc b)) (mulUp (Rabs (nom b)) (unc a)) in
  mkNU n (addUp (addUp s (mulUp (unc a) (unc b))) (errMul (nom a) (nom b) n)).

(** A value whose two components are binary64 numbers. *)
Definition is_float (a : NU) : Prop := format (nom a) /\ format (unc a).

(** ** Basic facts about the model *)

Lemma choice_sym : forall z, choice z = negb (choice (- (z + 1))).
Proof.
  intros z; unfold choice.
  rewrite Z.even_opp, Z.even_add; simpl.
  now destruct (Z.even z).
Qed.

Lemma F_RN : forall x, format (RN x).
Proof. intros x; apply generic_format_round; auto with typeclass_instances. Qed.

Lemma F_succ : forall x, format x -> format (succ64 x).
Proof. intros x Hx; apply generic_format_succ; auto with typeclass_instances. Qed.

Lemma F_abs : forall x, format x -> format (Rabs x).
Proof. intros x Hx; now apply generic_format_abs. Qed.

Lemma RN_id : forall x, format x -> RN x = x.
Proof. intros x Hx; apply round_generic; auto with typeclass_instances. Qed.

(** Rounding to nearest then stepping up one float gives an upper bound. *)
Lemma le_succ_RN : forall v, v <= succ64 (RN v).
Proof.
  intros v; unfold succ64, RN.
  destruct (round_DN_or_UP radix2 fexp (Znearest choice) v) as [H|H]; rewrite H.
  - destruct (generic_format_EM radix2 fexp v) as [Fv|Fv].
    + rewrite round_generic by auto with typeclass_instances.
      apply succ_ge_id.
    + rewrite succ_DN_eq_UP by auto with typeclass_instances.
      now destruct (round_UP_pt radix2 fexp v) as (_ & Hle & _).
  - apply Rle_trans with (2 := succ_ge_id _ _ _).
    now destruct (round_UP_pt radix2 fexp v) as (_ & Hle & _).
Qed.

(** TwoSum computes the rounding error of a sum exactly (Flocq's
    [TwoSum_correct], proven for any FLT format and symmetric tie-break). *)
Theorem twoSumErr_exact :
  forall a b, format a -> format b ->
  twoSumErr a b (RN (a + b)) = a + b - RN (a + b).
Proof.
  intros a b Ha Hb; unfold twoSumErr, RN; cbv zeta.
  pose proof (TwoSum_correct (-1074) 53 choice ltac:(lia) ltac:(lia)
                choice_sym a b Ha Hb) as T.
  lra.
Qed.

(** Below 2^-969 in magnitude, round to nearest stays below 2^-968. *)
Lemma RN_large : forall v, fmaExact <= Rabs (RN v) -> bpow radix2 (-969) <= Rabs v.
Proof.
  intros v H; unfold fmaExact in H.
  destruct (Rlt_or_le (Rabs v) (bpow radix2 (-969))) as [L|L]; [exfalso|exact L].
  assert (Fb : format (bpow radix2 (-969))).
  { apply generic_format_bpow; unfold FLT_exp; simpl; lia. }
  assert (Lt : bpow radix2 (-969) < bpow radix2 (-968)) by (apply bpow_lt; lia).
  apply Rabs_def2 in L; destruct L as [L1 L2].
  assert (U : RN v <= bpow radix2 (-969)).
  { apply round_le_generic; auto with typeclass_instances; lra. }
  assert (D : - bpow radix2 (-969) <= RN v).
  { apply round_ge_generic; auto with typeclass_instances.
    - now apply generic_format_opp.
    - lra. }
  assert (Rabs (RN v) <= bpow radix2 (-969)) by (apply Rabs_le; lra).
  lra.
Qed.

(** Above the threshold the product error is a float, so the FMA residual
    [RN (x * y - RN (x * y))] is exact (Flocq's [mult_error_FLT]). *)
Lemma fma_residual_exact :
  forall x y, format x -> format y -> fmaExact <= Rabs (RN (x * y)) ->
  RN (x * y - RN (x * y)) = x * y - RN (x * y).
Proof.
  intros x y Hx Hy H.
  apply RN_id.
  replace (x * y - RN (x * y)) with (- (RN (x * y) - x * y)) by ring.
  apply generic_format_opp.
  apply mult_error_FLT; auto with typeclass_instances.
  intros _; change (-1074 + 2 * 53 - 1)%Z with (-969)%Z.
  now apply RN_large.
Qed.

(** ** The helpers bound the exact results *)

Theorem addUp_ge : forall a b, format a -> format b -> a + b <= addUp a b.
Proof.
  intros a b Ha Hb; unfold addUp; cbv zeta.
  rewrite twoSumErr_exact by assumption.
  destruct (Rlt_bool_spec 0 (a + b - RN (a + b))) as [P|P].
  - apply le_succ_RN.
  - lra.
Qed.

Lemma F_addUp : forall a b, format (addUp a b).
Proof.
  intros a b; unfold addUp; cbv zeta.
  destruct (Rlt_bool 0 _); [apply F_succ|]; apply F_RN.
Qed.

Theorem mulUp_ge : forall x y, format x -> format y -> x * y <= mulUp x y.
Proof.
  intros x y Hx Hy; unfold mulUp.
  destruct (Req_bool_spec x 0) as [E|E]; [rewrite E; simpl; lra|].
  destruct (Req_bool_spec y 0) as [E'|E']; [rewrite E'; simpl; lra|].
  simpl; cbv zeta.
  destruct (Rlt_bool_spec (RN (x * y)) fmaExact) as [L|L]; [apply le_succ_RN|].
  assert (Big : fmaExact <= Rabs (RN (x * y)))
    by (apply Rle_trans with (1 := L); apply RRle_abs).
  rewrite fma_residual_exact by assumption.
  destruct (Rlt_bool_spec 0 (x * y - RN (x * y))) as [P|P].
  - apply le_succ_RN.
  - lra.
Qed.

Lemma F_mulUp : forall x y, format (mulUp x y).
Proof.
  intros x y; unfold mulUp.
  destruct (orb _ _); [apply generic_format_0|]; cbv zeta.
  destruct (Rlt_bool _ fmaExact); [apply F_succ, F_RN|].
  destruct (Rlt_bool 0 _); [apply F_succ|]; apply F_RN.
Qed.

Theorem errMul_ge :
  forall x y, format x -> format y ->
  Rabs (x * y - RN (x * y)) <= errMul x y (RN (x * y)).
Proof.
  intros x y Hx Hy; unfold errMul; cbv zeta.
  destruct (Rle_bool_spec fmaExact (Rabs (RN (x * y)))) as [L|L].
  - rewrite fma_residual_exact by assumption; lra.
  - unfold succ64; rewrite succ_eq_pos by apply Rabs_pos.
    replace (Rabs (RN (x * y)) + ulp radix2 fexp (Rabs (RN (x * y)))
             - Rabs (RN (x * y)))
      with (ulp radix2 fexp (Rabs (RN (x * y)))) by ring.
    rewrite ulp_abs.
    rewrite (RN_id (ulp radix2 fexp (RN (x * y))))
      by (apply generic_format_ulp; auto with typeclass_instances).
    rewrite Rabs_minus_sym.
    apply Rle_trans with (1 := error_le_half_ulp_round radix2 fexp choice (x * y)).
    fold (RN (x * y)).
    assert (0 <= ulp radix2 fexp (RN (x * y))) by apply ulp_ge_0.
    lra.
Qed.

Lemma F_errMul : forall x y n, format (errMul x y n).
Proof.
  intros x y n; unfold errMul; cbv zeta.
  destruct (Rle_bool _ _); [apply F_abs|]; apply F_RN.
Qed.

(** ** The helpers do not over-widen

    [addUp] is exactly rounding upward (the smallest float >= a + b), and so
    is [mulUp] whenever its FMA test applies; there [errMul] is the exact
    rounding error.  Only below 2^-968, where products may lose bits to
    underflow, do [mulUp] and [errMul] fall back to one extra ulp. *)

Lemma up_from_RN :
  forall v, (if Rlt_bool 0 (v - RN v) then succ64 (RN v) else RN v)
            = round radix2 fexp Zceil v.
Proof.
  intros v; unfold succ64, RN.
  destruct (round_UP_pt radix2 fexp v) as (_ & Hup & _).
  destruct (round_DN_pt radix2 fexp v) as (_ & Hdn & _).
  destruct (Rlt_bool_spec 0 (v - round radix2 fexp (Znearest choice) v)) as [P|P];
  destruct (round_DN_or_UP radix2 fexp (Znearest choice) v) as [H|H]; rewrite H in *.
  - rewrite succ_DN_eq_UP; auto with typeclass_instances.
    intros Fv; rewrite round_generic in P by auto with typeclass_instances; lra.
  - lra.
  - assert (E : round radix2 fexp Zfloor v = v) by lra.
    assert (Fv : format v)
      by (rewrite <- E; apply generic_format_round; auto with typeclass_instances).
    now rewrite E, round_generic by auto with typeclass_instances.
  - reflexivity.
Qed.

Theorem addUp_is_round_up :
  forall a b, format a -> format b -> addUp a b = round radix2 fexp Zceil (a + b).
Proof.
  intros a b Ha Hb; unfold addUp; cbv zeta.
  rewrite twoSumErr_exact by assumption.
  apply up_from_RN.
Qed.

Theorem mulUp_is_round_up_above :
  forall x y, format x -> format y -> x <> 0 -> y <> 0 ->
  fmaExact <= RN (x * y) -> mulUp x y = round radix2 fexp Zceil (x * y).
Proof.
  intros x y Hx Hy Nx Ny L; unfold mulUp.
  destruct (Req_bool_spec x 0) as [E|_]; [contradiction|].
  destruct (Req_bool_spec y 0) as [E|_]; [contradiction|].
  simpl; cbv zeta.
  destruct (Rlt_bool_spec (RN (x * y)) fmaExact) as [L'|_]; [lra|].
  assert (Big : fmaExact <= Rabs (RN (x * y)))
    by (apply Rle_trans with (1 := L); apply RRle_abs).
  rewrite fma_residual_exact by assumption.
  apply up_from_RN.
Qed.

Theorem errMul_exact_above :
  forall x y, format x -> format y -> fmaExact <= Rabs (RN (x * y)) ->
  errMul x y (RN (x * y)) = Rabs (x * y - RN (x * y)).
Proof.
  intros x y Hx Hy L; unfold errMul; cbv zeta.
  destruct (Rle_bool_spec fmaExact (Rabs (RN (x * y)))) as [_|L']; [|lra].
  now rewrite fma_residual_exact.
Qed.

(** ** Interval operations in binary64 enclose the exact real results *)

Theorem fl_iadd_encloses :
  forall a b x y, is_float a -> is_float b ->
  contains a x -> contains b y -> contains (fl_iadd a b) (x + y).
Proof.
  intros [n1 u1] [n2 u2] x y [F1 G1] [F2 G2] Hx Hy.
  unfold contains, fl_iadd in *; cbv zeta; cbn [nom unc] in *.
  assert (Fe : format (Rabs (twoSumErr n1 n2 (RN (n1 + n2)))))
    by (apply F_abs; unfold twoSumErr; apply F_RN).
  rewrite twoSumErr_exact in Fe |- * by assumption.
  assert (A1 := addUp_ge u1 u2 G1 G2).
  assert (A2 := addUp_ge _ _ (F_addUp u1 u2) Fe).
  replace (x + y - RN (n1 + n2))
    with ((x - n1) + (y - n2) + (n1 + n2 - RN (n1 + n2))) by ring.
  apply Rle_trans with (1 := Rabs_triang _ _).
  apply Rle_trans with (2 := A2).
  apply Rplus_le_compat_r.
  apply Rle_trans with (1 := Rabs_triang _ _).
  lra.
Qed.

Theorem fl_isub_encloses :
  forall a b x y, is_float a -> is_float b ->
  contains a x -> contains b y -> contains (fl_isub a b) (x - y).
Proof.
  intros a b x y Fa [Fn Fu] Hx Hy; unfold fl_isub, Rminus.
  apply fl_iadd_encloses; try assumption.
  - split; [now apply generic_format_opp | exact Fu].
  - now apply contains_flip.
Qed.

Theorem fl_imul_encloses :
  forall a b x y, is_float a -> is_float b ->
  contains a x -> contains b y -> contains (fl_imul a b) (x * y).
Proof.
  intros a b x y [F1 G1] [F2 G2] Hx Hy.
  assert (I := iv_mul_encloses a b x y Hx Hy).
  unfold contains, iv_mul, fl_imul in *; cbv zeta; cbn [nom unc] in *.
  destruct a as [n1 u1], b as [n2 u2]; cbn [nom unc] in *.
  set (m1 := mulUp (Rabs n1) u2); set (m2 := mulUp (Rabs n2) u1);
    set (m3 := mulUp u1 u2).
  assert (M1 : Rabs n1 * u2 <= m1) by (apply mulUp_ge; auto using F_abs).
  assert (M2 : Rabs n2 * u1 <= m2) by (apply mulUp_ge; auto using F_abs).
  assert (M3 : u1 * u2 <= m3) by (apply mulUp_ge; auto).
  assert (S1 := addUp_ge m1 m2 (F_mulUp _ _) (F_mulUp _ _)).
  assert (S2 := addUp_ge _ m3 (F_addUp m1 m2) (F_mulUp _ _)).
  assert (S3 := addUp_ge _ _ (F_addUp (addUp m1 m2) m3) (F_errMul n1 n2 (RN (n1 * n2)))).
  assert (E := errMul_ge n1 n2 F1 F2).
  replace (x * y - RN (n1 * n2))
    with ((x * y - n1 * n2) + (n1 * n2 - RN (n1 * n2))) by ring.
  apply Rle_trans with (1 := Rabs_triang _ _).
  lra.
Qed.

(** ** Consequences: the results are floats with non-negative uncertainty *)

Theorem fl_iadd_is_float : forall a b, is_float (fl_iadd a b).
Proof. intros a b; split; [apply F_RN | apply F_addUp]. Qed.

Theorem fl_isub_is_float : forall a b, is_float (fl_isub a b).
Proof. intros a b; apply fl_iadd_is_float. Qed.

Theorem fl_imul_is_float : forall a b, is_float (fl_imul a b).
Proof. intros a b; split; [apply F_RN | apply F_addUp]. Qed.

Theorem fl_iadd_valid :
  forall a b, is_float a -> is_float b -> valid a -> valid b -> valid (fl_iadd a b).
Proof.
  intros a b Fa Fb Ha Hb.
  apply (contains_valid _ (nom a + nom b)).
  apply fl_iadd_encloses; auto using contains_nom.
Qed.

Theorem fl_isub_valid :
  forall a b, is_float a -> is_float b -> valid a -> valid b -> valid (fl_isub a b).
Proof.
  intros a b Fa Fb Ha Hb.
  apply (contains_valid _ (nom a - nom b)).
  apply fl_isub_encloses; auto using contains_nom.
Qed.

Theorem fl_imul_valid :
  forall a b, is_float a -> is_float b -> valid a -> valid b -> valid (fl_imul a b).
Proof.
  intros a b Fa Fb Ha Hb.
  apply (contains_valid _ (nom a * nom b)).
  apply fl_imul_encloses; auto using contains_nom.
Qed.
