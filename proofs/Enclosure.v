(** * What the quadrature rules of mode [nu] do and do not enclose

    The [nu] rules propagate standard uncertainties of independent inputs;
    they are not worst-case bounds.  This file states exactly how far they
    are from worst-case bounds:
    - every possible exact result lies within sqrt 2 * u of the [nu_add]
      (and [nu_sub]) result and within sqrt 3 * u of the [nu_mul] result;
    - these factors are the smallest possible: for every c < sqrt 2
      (resp. c < sqrt 3) some inputs violate the bound with c;
    - in particular the enclosure without any factor (c = 1) is false. *)

From Coq Require Import Reals Psatz.
From EBIOS Require Import NUReal IntervalReal.
Open Scope R_scope.

Lemma le_sqrt_of_sq : forall s t, 0 <= s -> s ^ 2 <= t -> s <= sqrt t.
Proof.
  intros s t Hs H.
  apply Rle_trans with (sqrt (s ^ 2)); [rewrite sqrt_pow2; lra|].
  now apply sqrt_le_1_alt.
Qed.

Lemma sqrt_factor : forall k q, 0 <= k -> sqrt k * sqrt q = sqrt (k * q).
Proof. intros k q Hk; now rewrite sqrt_mult_alt. Qed.

(** ** The enclosures that do hold *)

Theorem nu_add_encloses_sqrt2 :
  forall a b x y, contains a x -> contains b y ->
  Rabs (x + y - nom (nu_add a b)) <= sqrt 2 * unc (nu_add a b).
Proof.
  intros a b x y Hx Hy.
  assert (Ha := contains_valid _ _ Hx); assert (Hb := contains_valid _ _ Hy).
  unfold valid in *.
  assert (I := iv_add_encloses _ _ _ _ Hx Hy); unfold contains, iv_add in I.
  cbn [nom unc] in I; unfold nu_add; cbn [nom unc].
  apply Rle_trans with (1 := I).
  rewrite sqrt_factor by lra.
  apply le_sqrt_of_sq; [lra|].
  assert (S := Rle_0_sqr (unc a - unc b)); unfold Rsqr in S.
  simpl; nra.
Qed.

Theorem nu_sub_encloses_sqrt2 :
  forall a b x y, contains a x -> contains b y ->
  Rabs (x - y - nom (nu_sub a b)) <= sqrt 2 * unc (nu_sub a b).
Proof.
  intros a b x y Hx Hy; unfold nu_sub, Rminus at 1.
  apply nu_add_encloses_sqrt2; [exact Hx|].
  now apply contains_flip.
Qed.

Theorem nu_mul_encloses_sqrt3 :
  forall a b x y, contains a x -> contains b y ->
  Rabs (x * y - nom (nu_mul a b)) <= sqrt 3 * unc (nu_mul a b).
Proof.
  intros a b x y Hx Hy.
  assert (Ha := contains_valid _ _ Hx); assert (Hb := contains_valid _ _ Hy).
  unfold valid in *.
  assert (I := iv_mul_encloses _ _ _ _ Hx Hy); unfold contains, iv_mul in I.
  cbn [nom unc] in I; unfold nu_mul; cbn [nom unc].
  apply Rle_trans with (1 := I).
  rewrite sqrt_factor by lra.
  set (A := Rabs (nom a) * unc b); set (B := Rabs (nom b) * unc a);
    set (C := unc a * unc b).
  assert (EA : (nom a * unc b) ^ 2 = A ^ 2).
  { unfold A; rewrite <- (Rabs_right (unc b)) at 2 by lra.
    now rewrite <- Rabs_mult, pow2_abs. }
  assert (EB : (nom b * unc a) ^ 2 = B ^ 2).
  { unfold B; rewrite <- (Rabs_right (unc a)) at 2 by lra.
    now rewrite <- Rabs_mult, pow2_abs. }
  rewrite EA, EB.
  assert (0 <= A) by (unfold A; apply Rmult_le_pos; auto using Rabs_pos).
  assert (0 <= B) by (unfold B; apply Rmult_le_pos; auto using Rabs_pos).
  assert (0 <= C) by (unfold C; apply Rmult_le_pos; auto).
  apply le_sqrt_of_sq; [lra|].
  assert (SAB := Rle_0_sqr (A - B)); assert (SBC := Rle_0_sqr (B - C));
    assert (SAC := Rle_0_sqr (A - C)); unfold Rsqr in *.
  clearbody A B C; simpl; nra.
Qed.

(** ** The factors sqrt 2 and sqrt 3 cannot be lowered *)

Lemma sqrt_lt_self_sq : forall k c, 0 < k -> c < sqrt k -> c * sqrt k < k.
Proof.
  intros k c Hk Hc.
  assert (P : 0 < sqrt k) by now apply sqrt_lt_R0.
  rewrite <- (sqrt_sqrt k) at 2 by lra.
  now apply Rmult_lt_compat_r.
Qed.

Theorem nu_add_sqrt2_optimal :
  forall c, c < sqrt 2 ->
  exists a b x y, contains a x /\ contains b y /\
  c * unc (nu_add a b) < Rabs (x + y - nom (nu_add a b)).
Proof.
  intros c Hc.
  exists (mkNU 0 1), (mkNU 0 1), 1, 1.
  unfold contains, nu_add; cbn [nom unc].
  replace (1 - 0) with 1 by ring.
  replace (1 + 1 - (0 + 0)) with 2 by ring.
  replace (1 ^ 2 + 1 ^ 2) with 2 by ring.
  rewrite Rabs_R1, (Rabs_right 2) by lra.
  repeat split; try lra.
  apply sqrt_lt_self_sq; lra.
Qed.

Theorem nu_mul_sqrt3_optimal :
  forall c, c < sqrt 3 ->
  exists a b x y, contains a x /\ contains b y /\
  c * unc (nu_mul a b) < Rabs (x * y - nom (nu_mul a b)).
Proof.
  intros c Hc.
  exists (mkNU 1 1), (mkNU 1 1), 2, 2.
  unfold contains, nu_mul; cbn [nom unc].
  replace (2 - 1) with 1 by ring.
  replace (2 * 2 - 1 * 1) with 3 by ring.
  replace ((1 * 1) ^ 2 + (1 * 1) ^ 2 + (1 * 1) ^ 2) with 3 by ring.
  rewrite Rabs_R1, (Rabs_right 3) by lra.
  repeat split; try lra.
  apply sqrt_lt_self_sq; lra.
Qed.

(** ** Hence quadrature alone is not an enclosure *)

Lemma one_lt_sqrt : forall k, 1 < k -> 1 < sqrt k.
Proof.
  intros k Hk; rewrite <- sqrt_1; apply sqrt_lt_1_alt; lra.
Qed.

Theorem nu_add_counterexample :
  exists a b x y, contains a x /\ contains b y /\
  unc (nu_add a b) < Rabs (x + y - nom (nu_add a b)).
Proof.
  destruct (nu_add_sqrt2_optimal 1 (one_lt_sqrt 2 ltac:(lra)))
    as (a & b & x & y & Hx & Hy & Hlt).
  exists a, b, x, y; repeat split; try assumption; lra.
Qed.

Theorem nu_mul_counterexample :
  exists a b x y, contains a x /\ contains b y /\
  unc (nu_mul a b) < Rabs (x * y - nom (nu_mul a b)).
Proof.
  destruct (nu_mul_sqrt3_optimal 1 (one_lt_sqrt 3 ltac:(lra)))
    as (a & b & x & y & Hx & Hy & Hlt).
  exists a, b, x, y; repeat split; try assumption; lra.
Qed.

Theorem nu_add_not_enclosure :
  ~ (forall a b x y, contains a x -> contains b y ->
     Rabs (x + y - nom (nu_add a b)) <= unc (nu_add a b)).
Proof.
  intros H; destruct nu_add_counterexample as (a & b & x & y & Hx & Hy & Hlt).
  specialize (H a b x y Hx Hy); lra.
Qed.

Theorem nu_sub_not_enclosure :
  ~ (forall a b x y, contains a x -> contains b y ->
     Rabs (x - y - nom (nu_sub a b)) <= unc (nu_sub a b)).
Proof.
  intros H; apply nu_add_not_enclosure; intros a b x y Hx Hy.
  specialize (H a (nu_flip b) x (- y) Hx (contains_flip _ _ Hy)).
  unfold nu_sub in H; rewrite nu_flip_involutive in H.
  now replace (x + y) with (x - - y) by ring.
Qed.

Theorem nu_mul_not_enclosure :
  ~ (forall a b x y, contains a x -> contains b y ->
     Rabs (x * y - nom (nu_mul a b)) <= unc (nu_mul a b)).
Proof.
  intros H; destruct nu_mul_counterexample as (a & b & x & y & Hx & Hy & Hlt).
  specialize (H a b x y Hx Hy); lra.
Qed.
