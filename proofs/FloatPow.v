(** * Outward-rounded sqrt and integer powers in binary64

    The binary64 model of [FloatInterval.v] (Flocq's [FLT_exp (-1074) 53],
    round to nearest ties to even, no overflow).  Two kinds of results:

    - Square root.  IEEE 754 requires [squareRoot] to be correctly rounded,
      so Go's [math.Sqrt(v)] is modelled as [RN (sqrt v)].  Rounding the
      lower end down and the upper end up (Flocq's [Zfloor] and [Zceil]
      roundings) gives a float interval that contains the real one
      ([fl_isqrt_directed_encloses]); so does stepping one float outward
      from [math.Sqrt] with [math.Nextafter] ([fl_isqrt_encloses]), which
      Go can compute without directed rounding.

    - Integer powers x^k (k a natural number) by repeated multiplication
      with the [mulUp] helper of [core/nu/round.go] (proven in
      [FloatInterval.v]): [powUp] rounds every product up, [powDown] every
      product down (as [-mulUp(-x, y)], the way [subDown] is built from
      [addUp]).  [fl_ipow] applies them to the ends chosen by [ipow] and
      encloses the real [ipow] ([fl_ipow_encloses]).

    These are reference algorithms.  They do not transcribe a Go function:
    if the Go code computes powers with [math.Pow] (which is not correctly
    rounded) and widens the result by a bound, that code is tested, not
    proven. *)

From Coq Require Import Reals Psatz ZArith.
From Flocq Require Import Core.
From EBIOS Require Import NUReal IntervalReal IntervalPow FloatInterval.
Open Scope R_scope.

(** ** Definitions *)

(** Rounding toward -Inf and +Inf. *)
Definition RD (x : R) : R := round radix2 fexp Zfloor x.
Definition RU (x : R) : R := round radix2 fexp Zceil x.

(** [math.Nextafter(s, -Inf)]. *)
Definition pred64 (x : R) : R := pred radix2 fexp x.

(** Go: [lo := math.Nextafter(math.Sqrt(lo), -Inf)],
    [hi := math.Nextafter(math.Sqrt(hi), +Inf)]. *)
Definition fl_isqrt (lo hi : R) : R * R :=
  (pred64 (RN (sqrt lo)), succ64 (RN (sqrt hi))).

(** The tightest float enclosure of [sqrt lo, sqrt hi]. *)
Definition fl_isqrt_directed (lo hi : R) : R * R := (RD (sqrt lo), RU (sqrt hi)).

(** A float at most x·y, for x, y floats. *)
Definition mulDown (x y : R) : R := - mulUp (- x) y.

Fixpoint powUp (x : R) (k : nat) : R :=
  match k with O => 1 | S k' => mulUp x (powUp x k') end.

Fixpoint powDown (x : R) (k : nat) : R :=
  match k with O => 1 | S k' => mulDown x (powDown x k') end.

(** [ipow] with each end computed by [powDown] or [powUp] on a
    non-negative float (|lo| or |hi|), negated where x^k is negative. *)
Definition fl_ipow (lo hi : R) (k : nat) : R * R :=
  if Nat.eqb k 0 then (1, 1)
  else if Nat.even k then
    if Rle_dec 0 lo then (powDown lo k, powUp hi k)
    else if Rle_dec hi 0 then (powDown (- hi) k, powUp (- lo) k)
    else (0, Rmax (powUp (- lo) k) (powUp hi k))
  else ((if Rle_dec 0 lo then powDown lo k else - powUp (- lo) k),
        (if Rle_dec 0 hi then powUp hi k else - powDown (- hi) k)).

(** ** Square root *)

Lemma pred_RN_le : forall v, pred64 (RN v) <= v.
Proof.
  intros v; unfold pred64, RN.
  destruct (round_DN_or_UP radix2 fexp (Znearest choice) v) as [H|H]; rewrite H.
  - apply Rle_trans with (1 := pred_le_id _ _ _).
    now destruct (round_DN_pt radix2 fexp v) as (_ & Hle & _).
  - destruct (generic_format_EM radix2 fexp v) as [Fv|Fv].
    + rewrite round_generic by auto with typeclass_instances.
      apply pred_le_id.
    + rewrite pred_UP_eq_DN by auto with typeclass_instances.
      now destruct (round_DN_pt radix2 fexp v) as (_ & Hle & _).
Qed.

Lemma RD_le : forall v, RD v <= v.
Proof.
  intros v; unfold RD; now destruct (round_DN_pt radix2 fexp v) as (_ & Hle & _).
Qed.

Lemma RU_ge : forall v, v <= RU v.
Proof.
  intros v; unfold RU; now destruct (round_UP_pt radix2 fexp v) as (_ & Hle & _).
Qed.

Theorem fl_isqrt_directed_encloses :
  forall lo hi x, 0 <= lo -> lo <= x <= hi ->
  fst (fl_isqrt_directed lo hi) <= sqrt x <= snd (fl_isqrt_directed lo hi).
Proof.
  intros lo hi x P B; destruct (isqrt_encloses lo hi x P B) as [L H].
  simpl in *; split.
  - apply Rle_trans with (2 := L); apply RD_le.
  - apply Rle_trans with (1 := H); apply RU_ge.
Qed.

(** The directed ends are the best float bounds: every float below sqrt lo
    is at most [RD (sqrt lo)], every float above sqrt hi at least
    [RU (sqrt hi)]. *)
Theorem fl_isqrt_directed_best :
  forall lo hi f, format f ->
  (f <= sqrt lo -> f <= fst (fl_isqrt_directed lo hi)) /\
  (sqrt hi <= f -> snd (fl_isqrt_directed lo hi) <= f).
Proof.
  intros lo hi f F; simpl; unfold RD, RU; split; intros L.
  - destruct (round_DN_pt radix2 fexp (sqrt lo)) as (_ & _ & Best).
    now apply Best.
  - destruct (round_UP_pt radix2 fexp (sqrt hi)) as (_ & _ & Best).
    now apply Best.
Qed.

Theorem fl_isqrt_encloses :
  forall lo hi x, 0 <= lo -> lo <= x <= hi ->
  fst (fl_isqrt lo hi) <= sqrt x <= snd (fl_isqrt lo hi).
Proof.
  intros lo hi x P B; destruct (isqrt_encloses lo hi x P B) as [L H].
  simpl in *; split.
  - apply Rle_trans with (2 := L); apply pred_RN_le.
  - apply Rle_trans with (1 := H); apply le_succ_RN.
Qed.

Theorem fl_isqrt_is_float :
  forall lo hi, format (fst (fl_isqrt lo hi)) /\ format (snd (fl_isqrt lo hi)) /\
  format (fst (fl_isqrt_directed lo hi)) /\ format (snd (fl_isqrt_directed lo hi)).
Proof.
  intros lo hi; simpl; repeat split.
  - apply generic_format_pred; [auto with typeclass_instances|apply F_RN].
  - apply F_succ, F_RN.
  - apply generic_format_round; auto with typeclass_instances.
  - apply generic_format_round; auto with typeclass_instances.
Qed.

(** ** Integer powers *)

Lemma F_one : format 1.
Proof.
  replace 1 with (bpow radix2 0) by reflexivity.
  apply generic_format_bpow; unfold FLT_exp; simpl; lia.
Qed.

Lemma mulDown_le : forall x y, format x -> format y -> mulDown x y <= x * y.
Proof.
  intros x y Hx Hy; unfold mulDown.
  pose proof (mulUp_ge (- x) y (generic_format_opp _ _ _ Hx) Hy); lra.
Qed.

Lemma F_powUp : forall x k, format (powUp x k).
Proof. intros x [|k]; [apply F_one | apply F_mulUp]. Qed.

Lemma F_powDown : forall x k, format (powDown x k).
Proof.
  intros x [|k]; [apply F_one|]; simpl; unfold mulDown.
  apply generic_format_opp, F_mulUp.
Qed.

Lemma powUp_ge : forall x k, format x -> 0 <= x -> x ^ k <= powUp x k.
Proof.
  intros x k F P; induction k as [|k IH]; simpl; [lra|].
  apply Rle_trans with (x * powUp x k).
  - now apply Rmult_le_compat_l.
  - apply mulUp_ge; [exact F | apply F_powUp].
Qed.

Lemma powDown_le : forall x k, format x -> 0 <= x -> powDown x k <= x ^ k.
Proof.
  intros x k F P; induction k as [|k IH]; simpl; [lra|].
  apply Rle_trans with (x * powDown x k).
  - apply mulDown_le; [exact F | apply F_powDown].
  - now apply Rmult_le_compat_l.
Qed.

(** The float ends bound the real ends of [ipow]. *)
Lemma fl_ipow_outside :
  forall lo hi k, format lo -> format hi -> lo <= hi ->
  fst (fl_ipow lo hi k) <= fst (ipow lo hi k) /\
  snd (ipow lo hi k) <= snd (fl_ipow lo hi k).
Proof.
  intros lo hi k Flo Fhi LH; unfold fl_ipow, ipow.
  pose proof (generic_format_opp _ _ _ Flo) as Flo'.
  pose proof (generic_format_opp _ _ _ Fhi) as Fhi'.
  destruct (Nat.eqb k 0); [simpl; lra|].
  destruct (Nat.even k) eqn:E.
  - destruct (Rle_dec 0 lo) as [Plo|Plo].
    { simpl; split; [apply powDown_le | apply powUp_ge]; auto; lra. }
    destruct (Rle_dec hi 0) as [Nhi|Nhi]; simpl.
    + rewrite <- (pow_even_opp hi), <- (pow_even_opp lo) by exact E.
      split; [apply powDown_le | apply powUp_ge]; auto; lra.
    + split; [lra|].
      rewrite <- (pow_even_opp lo) by exact E.
      apply Rmax_lub.
      * apply Rle_trans with (2 := Rmax_l _ _); apply powUp_ge; auto; lra.
      * apply Rle_trans with (2 := Rmax_r _ _); apply powUp_ge; auto; lra.
  - simpl; split.
    + destruct (Rle_dec 0 lo) as [Plo|Plo]; [apply powDown_le; auto|].
      replace (lo ^ k) with (- (- lo) ^ k) by (rewrite pow_odd_opp by exact E; ring).
      apply Ropp_le_contravar, powUp_ge; auto; lra.
    + destruct (Rle_dec 0 hi) as [Phi|Phi]; [apply powUp_ge; auto|].
      replace (hi ^ k) with (- (- hi) ^ k) by (rewrite pow_odd_opp by exact E; ring).
      apply Ropp_le_contravar, powDown_le; auto; lra.
Qed.

Theorem fl_ipow_encloses :
  forall lo hi x k, format lo -> format hi -> lo <= x <= hi ->
  fst (fl_ipow lo hi k) <= x ^ k <= snd (fl_ipow lo hi k).
Proof.
  intros lo hi x k Flo Fhi B.
  destruct (fl_ipow_outside lo hi k Flo Fhi ltac:(lra)) as [L H].
  destruct (ipow_encloses lo hi x k B) as [L' H']; lra.
Qed.

Theorem fl_ipow_is_float :
  forall lo hi k, format (fst (fl_ipow lo hi k)) /\ format (snd (fl_ipow lo hi k)).
Proof.
  intros lo hi k; unfold fl_ipow.
  destruct (Nat.eqb k 0); [split; apply F_one|].
  destruct (Nat.even k).
  - destruct (Rle_dec 0 lo); [split; [apply F_powDown | apply F_powUp]|].
    destruct (Rle_dec hi 0); [split; [apply F_powDown | apply F_powUp]|].
    split; [apply generic_format_0|].
    simpl; unfold Rmax; destruct (Rle_dec _ _); apply F_powUp.
  - simpl; split.
    + destruct (Rle_dec 0 lo); [apply F_powDown | apply generic_format_opp, F_powUp].
    + destruct (Rle_dec 0 hi); [apply F_powUp | apply generic_format_opp, F_powDown].
Qed.
