(** * The N/U algebra over the real numbers (mode [nu])

    A value is a pair [(n, u)] of a nominal value [n] and an uncertainty
    [u >= 0].  This file defines the operations exactly as [core/nu]
    implements them (evaluated in exact real arithmetic) and proves their
    algebraic properties: non-negativity of [u], involution of [flip],
    commutativity of [compose], composition with a certain value, the
    uncertainty reduction of [compose], and monotonicity of [add]/[mul] and
    of [compose]. *)

From Coq Require Import Reals Psatz.
Open Scope R_scope.

Record NU : Type := mkNU { nom : R; unc : R }.

(** A well-formed value has a non-negative uncertainty. *)
Definition valid (a : NU) : Prop := 0 <= unc a.

(** ** Operations *)

Definition nu_add (a b : NU) : NU :=
  mkNU (nom a + nom b) (sqrt (unc a ^ 2 + unc b ^ 2)).

Definition nu_flip (a : NU) : NU := mkNU (- nom a) (unc a).

Definition nu_sub (a b : NU) : NU := nu_add a (nu_flip b).

Definition nu_mul (a b : NU) : NU :=
  mkNU (nom a * nom b)
       (sqrt ((nom a * unc b) ^ 2 + (nom b * unc a) ^ 2 + (unc a * unc b) ^ 2)).

(** Inverse-variance weighting, for two uncertain values. *)
Definition compose_formula (a b : NU) : NU :=
  let n1 := nom a in let u1 := unc a in
  let n2 := nom b in let u2 := unc b in
  mkNU ((n1 * u2 ^ 2 + n2 * u1 ^ 2) / (u1 ^ 2 + u2 ^ 2))
       (sqrt (u1 ^ 2 * u2 ^ 2 / (u1 ^ 2 + u2 ^ 2))).

(** [compose] with the case split of the Go code: two certain values must
    agree (otherwise the evidence is contradictory: [None], an error in Go);
    a certain value wins over an uncertain one; otherwise the formula. *)
Definition nu_compose (a b : NU) : option NU :=
  if Req_EM_T (unc a) 0 then
    if Req_EM_T (unc b) 0 then
      if Req_EM_T (nom a) (nom b) then Some (mkNU (nom a) 0) else None
    else Some (mkNU (nom a) 0)
  else if Req_EM_T (unc b) 0 then Some (mkNU (nom b) 0)
  else Some (compose_formula a b).

(** ** Non-negativity of the uncertainty *)

Theorem nu_add_unc_nonneg : forall a b, 0 <= unc (nu_add a b).
Proof. intros a b; simpl; apply sqrt_pos. Qed.

Theorem nu_sub_unc_nonneg : forall a b, 0 <= unc (nu_sub a b).
Proof. intros a b; apply nu_add_unc_nonneg. Qed.

Theorem nu_mul_unc_nonneg : forall a b, 0 <= unc (nu_mul a b).
Proof. intros a b; simpl; apply sqrt_pos. Qed.

Theorem nu_flip_valid : forall a, valid a -> valid (nu_flip a).
Proof. intros a Ha; exact Ha. Qed.

Theorem nu_compose_unc_nonneg :
  forall a b r, nu_compose a b = Some r -> 0 <= unc r.
Proof.
  intros a b r H; unfold nu_compose in H.
  destruct (Req_EM_T (unc a) 0); destruct (Req_EM_T (unc b) 0).
  - destruct (Req_EM_T (nom a) (nom b)); inversion H; simpl; lra.
  - inversion H; simpl; lra.
  - inversion H; simpl; lra.
  - inversion H; unfold compose_formula; simpl; apply sqrt_pos.
Qed.

(** ** Flip *)

Theorem nu_flip_involutive : forall a, nu_flip (nu_flip a) = a.
Proof. intros [n u]; unfold nu_flip; simpl; now rewrite Ropp_involutive. Qed.

Theorem nu_sub_as_add : forall a b, nu_sub a b = nu_add a (nu_flip b).
Proof. reflexivity. Qed.

(** ** Compose *)

Theorem compose_formula_comm :
  forall a b, compose_formula a b = compose_formula b a.
Proof.
  intros [n1 u1] [n2 u2]; unfold compose_formula; cbn [nom unc].
  rewrite (Rplus_comm (u2 ^ 2) (u1 ^ 2)).
  f_equal.
  - f_equal; ring.
  - f_equal; f_equal; ring.
Qed.

Theorem nu_compose_comm : forall a b, nu_compose a b = nu_compose b a.
Proof.
  intros a b; unfold nu_compose.
  destruct (Req_EM_T (unc a) 0) as [Ha|Ha];
  destruct (Req_EM_T (unc b) 0) as [Hb|Hb]; try reflexivity.
  - destruct (Req_EM_T (nom a) (nom b)) as [E|E];
    destruct (Req_EM_T (nom b) (nom a)) as [E'|E'].
    + now rewrite E.
    + now elim E'.
    + now elim E.
    + reflexivity.
  - now rewrite compose_formula_comm.
Qed.

(** Composing with a certain value (u = 0) yields that value, with u = 0. *)
Theorem nu_compose_certain_l :
  forall a b, unc a = 0 -> 0 < unc b -> nu_compose a b = Some (mkNU (nom a) 0).
Proof.
  intros a b Ha Hb; unfold nu_compose.
  destruct (Req_EM_T (unc a) 0) as [_|Ha']; [|now elim Ha'].
  destruct (Req_EM_T (unc b) 0) as [Hb'|_]; [lra|reflexivity].
Qed.

Theorem nu_compose_certain_r :
  forall a b, 0 < unc a -> unc b = 0 -> nu_compose a b = Some (mkNU (nom b) 0).
Proof.
  intros a b Ha Hb; rewrite nu_compose_comm; now apply nu_compose_certain_l.
Qed.

(** Two certain values compose only when they agree. *)
Theorem nu_compose_certain_both :
  forall a b, unc a = 0 -> unc b = 0 ->
  (nom a = nom b -> nu_compose a b = Some (mkNU (nom a) 0)) /\
  (nom a <> nom b -> nu_compose a b = None).
Proof.
  intros a b Ha Hb; unfold nu_compose.
  destruct (Req_EM_T (unc a) 0) as [_|Ha']; [|now elim Ha'].
  destruct (Req_EM_T (unc b) 0) as [_|Hb']; [|now elim Hb'].
  destruct (Req_EM_T (nom a) (nom b)) as [E|E]; split; intro H;
    solve [reflexivity | now elim H | now elim E].
Qed.

Theorem nu_compose_uncertain :
  forall a b, 0 < unc a -> 0 < unc b -> nu_compose a b = Some (compose_formula a b).
Proof.
  intros a b Ha Hb; unfold nu_compose.
  destruct (Req_EM_T (unc a) 0) as [Ha'|_]; [lra|].
  destruct (Req_EM_T (unc b) 0) as [Hb'|_]; [lra|reflexivity].
Qed.

Lemma compose_formula_unc_le_l :
  forall a b, 0 < unc a -> 0 < unc b -> unc (compose_formula a b) <= unc a.
Proof.
  intros [n1 u1] [n2 u2] H1 H2; unfold compose_formula; cbn [nom unc] in *.
  apply Rle_trans with (sqrt (u1 ^ 2)); [|rewrite sqrt_pow2; lra].
  apply sqrt_le_1_alt.
  assert (D : 0 < u1 ^ 2 + u2 ^ 2) by nra.
  apply (Rmult_le_reg_r (u1 ^ 2 + u2 ^ 2)); [exact D|].
  replace (u1 ^ 2 * u2 ^ 2 / (u1 ^ 2 + u2 ^ 2) * (u1 ^ 2 + u2 ^ 2))
    with (u1 ^ 2 * u2 ^ 2) by (field; lra).
  nra.
Qed.

(** The formula's uncertainty is at most the smaller input uncertainty. *)
Theorem compose_formula_unc_le_min :
  forall a b, 0 < unc a -> 0 < unc b ->
  unc (compose_formula a b) <= Rmin (unc a) (unc b).
Proof.
  intros a b Ha Hb; apply Rmin_glb.
  - now apply compose_formula_unc_le_l.
  - rewrite compose_formula_comm; now apply compose_formula_unc_le_l.
Qed.

(** Whatever case applies, a successful compose never increases the
    uncertainty beyond min(u1, u2). *)
Theorem nu_compose_unc_le_min :
  forall a b r, valid a -> valid b -> nu_compose a b = Some r ->
  unc r <= Rmin (unc a) (unc b).
Proof.
  intros a b r Ha Hb H; unfold valid in *.
  unfold nu_compose in H.
  destruct (Req_EM_T (unc a) 0) as [Ea|Ea];
  destruct (Req_EM_T (unc b) 0) as [Eb|Eb].
  - destruct (Req_EM_T (nom a) (nom b)); inversion H; subst; simpl.
    apply Rmin_glb; lra.
  - inversion H; subst; simpl; apply Rmin_glb; lra.
  - inversion H; subst; simpl; apply Rmin_glb; lra.
  - inversion H; subst.
    apply compose_formula_unc_le_min; lra.
Qed.

(** The composed nominal value is a weighted mean: it lies between n1 and n2. *)
Theorem compose_formula_nom_between :
  forall a b, 0 < unc a -> 0 < unc b ->
  Rmin (nom a) (nom b) <= nom (compose_formula a b) <= Rmax (nom a) (nom b).
Proof.
  intros [n1 u1] [n2 u2] H1 H2; unfold compose_formula; cbn [nom unc] in *.
  assert (D : 0 < u1 ^ 2 + u2 ^ 2) by nra.
  assert (E : (n1 * u2 ^ 2 + n2 * u1 ^ 2) / (u1 ^ 2 + u2 ^ 2)
              = n1 + (n2 - n1) * (u1 ^ 2 / (u1 ^ 2 + u2 ^ 2)))
    by (field; lra).
  assert (W0 : 0 <= u1 ^ 2 / (u1 ^ 2 + u2 ^ 2)).
  { apply Rmult_le_pos; [nra | left; now apply Rinv_0_lt_compat]. }
  assert (W1 : u1 ^ 2 / (u1 ^ 2 + u2 ^ 2) <= 1).
  { apply (Rmult_le_reg_r (u1 ^ 2 + u2 ^ 2)); [exact D|].
    replace (u1 ^ 2 / (u1 ^ 2 + u2 ^ 2) * (u1 ^ 2 + u2 ^ 2))
      with (u1 ^ 2) by (field; lra).
    nra. }
  rewrite E.
  set (w := u1 ^ 2 / (u1 ^ 2 + u2 ^ 2)) in *.
  unfold Rmin, Rmax; destruct (Rle_dec n1 n2); split; nra.
Qed.

(** ** Monotonicity of the propagated uncertainty *)

Lemma sq_le : forall x y, 0 <= x <= y -> x ^ 2 <= y ^ 2.
Proof. intros x y H; nra. Qed.

Lemma sq_abs_le : forall x y, Rabs x <= Rabs y -> x ^ 2 <= y ^ 2.
Proof.
  intros x y H.
  rewrite <- (pow2_abs x), <- (pow2_abs y).
  apply sq_le; split; [apply Rabs_pos|exact H].
Qed.

Theorem nu_add_unc_mono :
  forall n1 u1 u1' n2 u2 u2',
  0 <= u1 <= u1' -> 0 <= u2 <= u2' ->
  unc (nu_add (mkNU n1 u1) (mkNU n2 u2)) <= unc (nu_add (mkNU n1 u1') (mkNU n2 u2')).
Proof.
  intros n1 u1 u1' n2 u2 u2' H1 H2; simpl.
  apply sqrt_le_1_alt.
  apply Rplus_le_compat; now apply sq_le.
Qed.

Theorem nu_mul_unc_mono :
  forall n1 u1 u1' n2 u2 u2',
  0 <= u1 <= u1' -> 0 <= u2 <= u2' ->
  unc (nu_mul (mkNU n1 u1) (mkNU n2 u2)) <= unc (nu_mul (mkNU n1 u1') (mkNU n2 u2')).
Proof.
  intros n1 u1 u1' n2 u2 u2' H1 H2; simpl.
  apply sqrt_le_1_alt.
  repeat apply Rplus_le_compat; apply sq_abs_le; rewrite !Rabs_mult.
  - apply Rmult_le_compat_l; [apply Rabs_pos|].
    rewrite !Rabs_right by lra; lra.
  - apply Rmult_le_compat_l; [apply Rabs_pos|].
    rewrite !Rabs_right by lra; lra.
  - rewrite !(Rabs_right u1), !(Rabs_right u2), (Rabs_right u1'), (Rabs_right u2')
      by lra.
    apply Rmult_le_compat; lra.
Qed.

(** ** Monotonicity of compose

    The composed uncertainty grows with each input uncertainty, and the
    composed nominal value grows with each input nominal value.  Both hold
    for the option-valued [nu_compose] in every case of the Go case split
    (certain values, contradiction, formula). *)

Lemma compose_formula_unc_mono :
  forall n1 u1 u1' n2 u2 u2', 0 < u1 <= u1' -> 0 < u2 <= u2' ->
  unc (compose_formula (mkNU n1 u1) (mkNU n2 u2))
    <= unc (compose_formula (mkNU n1 u1') (mkNU n2 u2')).
Proof.
  intros n1 u1 u1' n2 u2 u2' H1 H2; unfold compose_formula; cbn [nom unc].
  apply sqrt_le_1_alt.
  assert (A : 0 < u1 ^ 2 <= u1' ^ 2) by (split; nra).
  assert (B : 0 < u2 ^ 2 <= u2' ^ 2) by (split; nra).
  set (a := u1 ^ 2) in *; set (a' := u1' ^ 2) in *;
  set (b := u2 ^ 2) in *; set (b' := u2' ^ 2) in *.
  assert (D : 0 < a + b) by lra.
  assert (D' : 0 < a' + b') by lra.
  unfold Rdiv.
  apply (Rmult_le_reg_r ((a + b) * (a' + b'))); [nra|].
  replace (a * b * / (a + b) * ((a + b) * (a' + b'))) with (a * b * (a' + b'))
    by (field; lra).
  replace (a' * b' * / (a' + b') * ((a + b) * (a' + b'))) with (a' * b' * (a + b))
    by (field; lra).
  assert (E1 : (a * a') * b <= (a * a') * b')
    by (apply Rmult_le_compat_l; [apply Rmult_le_pos|]; lra).
  assert (E2 : (b * b') * a <= (b * b') * a')
    by (apply Rmult_le_compat_l; [apply Rmult_le_pos|]; lra).
  replace (a * b * (a' + b')) with ((a * a') * b + (b * b') * a) by ring.
  replace (a' * b' * (a + b)) with ((a * a') * b' + (b * b') * a') by ring.
  lra.
Qed.

(** The composed uncertainty is monotone non-decreasing in both input
    uncertainties (for the same nominal values). *)
Theorem nu_compose_unc_mono :
  forall n1 u1 u1' n2 u2 u2' r r',
  0 <= u1 <= u1' -> 0 <= u2 <= u2' ->
  nu_compose (mkNU n1 u1) (mkNU n2 u2) = Some r ->
  nu_compose (mkNU n1 u1') (mkNU n2 u2') = Some r' ->
  unc r <= unc r'.
Proof.
  intros n1 u1 u1' n2 u2 u2' r r' H1 H2 E E'.
  assert (P' : 0 <= unc r') by (exact (nu_compose_unc_nonneg _ _ _ E')).
  unfold nu_compose in E, E'; cbn [nom unc] in E, E'.
  destruct (Req_EM_T u1 0) as [Z1|Z1].
  - (* the certain value wins: u = 0 *)
    destruct (Req_EM_T u2 0);
      [destruct (Req_EM_T n1 n2)|]; inversion E; subst; simpl; exact P'.
  - destruct (Req_EM_T u2 0) as [Z2|Z2].
    + inversion E; subst; simpl; exact P'.
    + destruct (Req_EM_T u1' 0) as [Z1'|Z1']; [lra|].
      destruct (Req_EM_T u2' 0) as [Z2'|Z2']; [lra|].
      inversion E; inversion E'; subst.
      apply compose_formula_unc_mono; lra.
Qed.

(** The composed nominal value of [compose_formula] is monotone
    non-decreasing in each input nominal value. *)
Lemma compose_formula_nom_mono :
  forall n1 n1' u1 n2 n2' u2, 0 < u1 -> 0 < u2 -> n1 <= n1' -> n2 <= n2' ->
  nom (compose_formula (mkNU n1 u1) (mkNU n2 u2))
    <= nom (compose_formula (mkNU n1' u1) (mkNU n2' u2)).
Proof.
  intros n1 n1' u1 n2 n2' u2 H1 H2 L1 L2; unfold compose_formula; cbn [nom unc].
  assert (D : 0 < u1 ^ 2 + u2 ^ 2) by nra.
  unfold Rdiv; apply Rmult_le_compat_r; [left; now apply Rinv_0_lt_compat|].
  assert (0 < u1 ^ 2) by nra; assert (0 < u2 ^ 2) by nra.
  nra.
Qed.

(** The composed nominal value is monotone non-decreasing in both input
    nominal values (for the same uncertainties), whenever both composes
    succeed. *)
Theorem nu_compose_nom_mono :
  forall n1 n1' u1 n2 n2' u2 r r',
  0 <= u1 -> 0 <= u2 -> n1 <= n1' -> n2 <= n2' ->
  nu_compose (mkNU n1 u1) (mkNU n2 u2) = Some r ->
  nu_compose (mkNU n1' u1) (mkNU n2' u2) = Some r' ->
  nom r <= nom r'.
Proof.
  intros n1 n1' u1 n2 n2' u2 r r' H1 H2 L1 L2 E E'.
  unfold nu_compose in E, E'; cbn [nom unc] in E, E'.
  destruct (Req_EM_T u1 0) as [Z1|Z1]; destruct (Req_EM_T u2 0) as [Z2|Z2].
  - destruct (Req_EM_T n1 n2); destruct (Req_EM_T n1' n2');
      inversion E; inversion E'; subst; simpl; lra.
  - inversion E; inversion E'; subst; simpl; lra.
  - inversion E; inversion E'; subst; simpl; lra.
  - inversion E; inversion E'; subst.
    apply compose_formula_nom_mono; lra.
Qed.

(** Whatever case applies, a successful compose of valid values returns a
    nominal value between n1 and n2. *)
Theorem nu_compose_nom_between :
  forall a b r, valid a -> valid b -> nu_compose a b = Some r ->
  Rmin (nom a) (nom b) <= nom r <= Rmax (nom a) (nom b).
Proof.
  intros a b r Ha Hb E; unfold valid in *.
  assert (M1 : Rmin (nom a) (nom b) <= nom a <= Rmax (nom a) (nom b))
    by (split; [apply Rmin_l | apply Rmax_l]).
  assert (M2 : Rmin (nom a) (nom b) <= nom b <= Rmax (nom a) (nom b))
    by (split; [apply Rmin_r | apply Rmax_r]).
  unfold nu_compose in E.
  destruct (Req_EM_T (unc a) 0) as [Ea|Ea];
  destruct (Req_EM_T (unc b) 0) as [Eb|Eb].
  - destruct (Req_EM_T (nom a) (nom b)); inversion E; subst; exact M1.
  - inversion E; subst; exact M1.
  - inversion E; subst; exact M2.
  - inversion E; subst.
    apply compose_formula_nom_between; lra.
Qed.
