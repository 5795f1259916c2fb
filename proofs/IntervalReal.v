(** * Interval mode over the real numbers

    In mode [interval] a value [(n, u)] stands for the real interval
    [[n - u, n + u]].  Here the operations are evaluated in exact real
    arithmetic; [FloatInterval.v] proves the same enclosures for the
    binary64 implementation with outward rounding. *)

From Coq Require Import Reals Psatz.
From EBIOS Require Import NUReal.
Open Scope R_scope.

(** [x] is one of the real numbers that [a] stands for. *)
Definition contains (a : NU) (x : R) : Prop := Rabs (x - nom a) <= unc a.

Definition iv_add (a b : NU) : NU := mkNU (nom a + nom b) (unc a + unc b).

Definition iv_sub (a b : NU) : NU := iv_add a (nu_flip b).

Definition iv_mul (a b : NU) : NU :=
  mkNU (nom a * nom b)
       (Rabs (nom a) * unc b + Rabs (nom b) * unc a + unc a * unc b).

Lemma contains_valid : forall a x, contains a x -> valid a.
Proof.
  intros a x H; unfold contains, valid in *.
  apply Rle_trans with (2 := H); apply Rabs_pos.
Qed.

Lemma contains_nom : forall a, valid a -> contains a (nom a).
Proof.
  intros a H; unfold contains; now rewrite Rminus_diag_eq, Rabs_R0.
Qed.

Lemma contains_flip : forall a y, contains a y -> contains (nu_flip a) (- y).
Proof.
  intros a y H; unfold contains, nu_flip in *; cbn [nom unc].
  replace (- y - - nom a) with (- (y - nom a)) by ring.
  now rewrite Rabs_Ropp.
Qed.

(** ** Enclosure: the exact result of any members is a member *)

Theorem iv_add_encloses :
  forall a b x y, contains a x -> contains b y -> contains (iv_add a b) (x + y).
Proof.
  intros a b x y Hx Hy; unfold contains, iv_add in *; cbn [nom unc].
  replace (x + y - (nom a + nom b)) with ((x - nom a) + (y - nom b)) by ring.
  apply Rle_trans with (1 := Rabs_triang _ _).
  now apply Rplus_le_compat.
Qed.

Theorem iv_sub_encloses :
  forall a b x y, contains a x -> contains b y -> contains (iv_sub a b) (x - y).
Proof.
  intros a b x y Hx Hy; unfold iv_sub, Rminus.
  apply iv_add_encloses; [exact Hx|].
  now apply contains_flip.
Qed.

Lemma mul_dev :
  forall n1 n2 d1 d2 u1 u2, Rabs d1 <= u1 -> Rabs d2 <= u2 ->
  Rabs (n1 * d2 + n2 * d1 + d1 * d2)
    <= Rabs n1 * u2 + Rabs n2 * u1 + u1 * u2.
Proof.
  intros n1 n2 d1 d2 u1 u2 H1 H2.
  assert (P1 : 0 <= Rabs d1) by apply Rabs_pos.
  assert (P2 : 0 <= Rabs d2) by apply Rabs_pos.
  apply Rle_trans with (Rabs (n1 * d2 + n2 * d1) + Rabs (d1 * d2));
    [apply Rabs_triang|].
  apply Rplus_le_compat.
  - apply Rle_trans with (1 := Rabs_triang _ _).
    rewrite !Rabs_mult.
    apply Rplus_le_compat; apply Rmult_le_compat_l; auto using Rabs_pos.
  - rewrite Rabs_mult; apply Rmult_le_compat; assumption.
Qed.

Theorem iv_mul_encloses :
  forall a b x y, contains a x -> contains b y -> contains (iv_mul a b) (x * y).
Proof.
  intros a b x y Hx Hy; unfold contains, iv_mul in *; cbn [nom unc].
  replace (x * y - nom a * nom b)
    with (nom a * (y - nom b) + nom b * (x - nom a) + (x - nom a) * (y - nom b))
    by ring.
  now apply mul_dev.
Qed.

(** ** The bounds are the best possible: they are attained *)

Theorem iv_add_tight :
  forall a b, valid a -> valid b -> exists x y, contains a x /\ contains b y /\
  Rabs (x + y - nom (iv_add a b)) = unc (iv_add a b).
Proof.
  intros [n1 u1] [n2 u2]; unfold valid, contains, iv_add; cbn [nom unc].
  intros H1 H2; exists (n1 + u1), (n2 + u2).
  replace (n1 + u1 - n1) with u1 by ring.
  replace (n2 + u2 - n2) with u2 by ring.
  replace (n1 + u1 + (n2 + u2) - (n1 + n2)) with (u1 + u2) by ring.
  rewrite !Rabs_right by lra; repeat split; lra.
Qed.

Lemma sign_exists :
  forall n : R, exists s, Rabs s = 1 /\ s * s = 1 /\ n * s = Rabs n.
Proof.
  intros n; destruct (Rle_dec 0 n) as [P|P].
  - exists 1; rewrite Rabs_R1, (Rabs_right n) by lra; repeat split; ring.
  - exists (-1); rewrite (Rabs_left (-1)), (Rabs_left n) by lra;
      repeat split; ring.
Qed.

Theorem iv_mul_tight :
  forall a b, valid a -> valid b -> exists x y, contains a x /\ contains b y /\
  Rabs (x * y - nom (iv_mul a b)) = unc (iv_mul a b).
Proof.
  intros [n1 u1] [n2 u2]; unfold valid, contains, iv_mul; cbn [nom unc].
  intros H1 H2.
  destruct (sign_exists n1) as (s1 & A1 & F1 & E1).
  destruct (sign_exists n2) as (s2 & A2 & F2 & E2).
  exists (n1 + s1 * u1), (n2 + s2 * u2).
  repeat split.
  - replace (n1 + s1 * u1 - n1) with (s1 * u1) by ring.
    rewrite Rabs_mult, A1, (Rabs_right u1) by lra; lra.
  - replace (n2 + s2 * u2 - n2) with (s2 * u2) by ring.
    rewrite Rabs_mult, A2, (Rabs_right u2) by lra; lra.
  - replace ((n1 + s1 * u1) * (n2 + s2 * u2) - n1 * n2)
      with ((s1 * s2) * (Rabs n1 * u2 + Rabs n2 * u1 + u1 * u2)).
    + rewrite Rabs_mult, Rabs_mult, A1, A2, Rmult_1_l, Rmult_1_l.
      apply Rabs_right, Rle_ge.
      assert (0 <= Rabs n1) by apply Rabs_pos.
      assert (0 <= Rabs n2) by apply Rabs_pos.
      nra.
    + rewrite <- E1, <- E2.
      replace (s1 * s2 * (n1 * s1 * u2 + n2 * s2 * u1 + u1 * u2))
        with (n1 * (s1 * s1) * s2 * u2 + n2 * s1 * (s2 * s2) * u1
              + s1 * s2 * u1 * u2) by ring.
      rewrite F1, F2; ring.
Qed.

(** ** Non-negativity and monotonicity of the interval uncertainty *)

Theorem iv_add_valid : forall a b, valid a -> valid b -> valid (iv_add a b).
Proof. unfold valid, iv_add; cbn [unc]; intros; lra. Qed.

Theorem iv_sub_valid : forall a b, valid a -> valid b -> valid (iv_sub a b).
Proof. intros a b Ha Hb; now apply iv_add_valid. Qed.

Theorem iv_mul_valid : forall a b, valid a -> valid b -> valid (iv_mul a b).
Proof.
  unfold valid, iv_mul; cbn [unc]; intros a b Ha Hb.
  assert (0 <= Rabs (nom a)) by apply Rabs_pos.
  assert (0 <= Rabs (nom b)) by apply Rabs_pos.
  nra.
Qed.

Theorem iv_add_unc_mono :
  forall n1 u1 u1' n2 u2 u2', u1 <= u1' -> u2 <= u2' ->
  unc (iv_add (mkNU n1 u1) (mkNU n2 u2)) <= unc (iv_add (mkNU n1 u1') (mkNU n2 u2')).
Proof. intros; unfold iv_add; cbn [unc]; lra. Qed.

Theorem iv_mul_unc_mono :
  forall n1 u1 u1' n2 u2 u2', 0 <= u1 <= u1' -> 0 <= u2 <= u2' ->
  unc (iv_mul (mkNU n1 u1) (mkNU n2 u2)) <= unc (iv_mul (mkNU n1 u1') (mkNU n2 u2')).
Proof.
  intros n1 u1 u1' n2 u2 u2' H1 H2; unfold iv_mul; cbn [nom unc].
  assert (0 <= Rabs n1) by apply Rabs_pos.
  assert (0 <= Rabs n2) by apply Rabs_pos.
  nra.
Qed.

(** ** Compose: the intersection of two enclosures

    [IntervalCompose] in [core/nu/interval.go] over the reals: with
    lo = max(n1 - u1, n2 - u2) and hi = min(n1 + u1, n2 + u2), disjoint
    intervals (lo > hi) are contradictory evidence ([None], the Go error
    NUCORE_006); otherwise the result is the midpoint (lo + hi)/2 with
    u = (hi - lo)/2, which is what [n := lo/2 + hi/2] and
    [u := max(hi - n, n - lo)] compute without rounding.  The Go code
    returns the tighter input instead when that u exceeds it; by
    [iv_compose_unc_le_min] this never happens over the reals.  The Go cases
    u = +Inf and the outward rounding are not modelled. *)

Definition iv_lo (a : NU) : R := nom a - unc a.
Definition iv_hi (a : NU) : R := nom a + unc a.

Definition iv_compose (a b : NU) : option NU :=
  let lo := Rmax (iv_lo a) (iv_lo b) in
  let hi := Rmin (iv_hi a) (iv_hi b) in
  if Rle_dec lo hi then Some (mkNU ((lo + hi) / 2) ((hi - lo) / 2)) else None.

Lemma contains_between :
  forall a x, contains a x <-> iv_lo a <= x <= iv_hi a.
Proof.
  intros a x; unfold contains, iv_lo, iv_hi.
  unfold Rabs; destruct (Rcase_abs (x - nom a)); split; intros; lra.
Qed.

Lemma contains_mid :
  forall lo hi x, contains (mkNU ((lo + hi) / 2) ((hi - lo) / 2)) x <-> lo <= x <= hi.
Proof.
  intros lo hi x; rewrite contains_between; unfold iv_lo, iv_hi; cbn [nom unc].
  split; intros; lra.
Qed.

(** The result stands for exactly the reals that both inputs stand for. *)
Theorem iv_compose_exact :
  forall a b r, iv_compose a b = Some r ->
  forall x, contains r x <-> contains a x /\ contains b x.
Proof.
  intros a b r E x; unfold iv_compose in E.
  destruct (Rle_dec _ _) as [L|L]; [|discriminate].
  inversion E; subst; clear E.
  rewrite contains_mid, !contains_between.
  pose proof (Rmax_l (iv_lo a) (iv_lo b)); pose proof (Rmax_r (iv_lo a) (iv_lo b)).
  pose proof (Rmin_l (iv_hi a) (iv_hi b)); pose proof (Rmin_r (iv_hi a) (iv_hi b)).
  split; [intros Hr; lra|].
  intros [[A1 A2] [B1 B2]]; split.
  - apply Rmax_lub; lra.
  - apply Rmin_glb; lra.
Qed.

(** A real that both inputs stand for: compose succeeds and keeps it. *)
Theorem iv_compose_encloses :
  forall a b x, contains a x -> contains b x ->
  exists r, iv_compose a b = Some r /\ contains r x.
Proof.
  intros a b x Ha Hb.
  assert (L : Rmax (iv_lo a) (iv_lo b) <= Rmin (iv_hi a) (iv_hi b)).
  { rewrite contains_between in Ha, Hb.
    apply Rle_trans with x; [apply Rmax_lub | apply Rmin_glb]; lra. }
  unfold iv_compose; destruct (Rle_dec _ _) as [_|N]; [|contradiction].
  eexists; split; [reflexivity|].
  apply (iv_compose_exact a b); [|now split].
  unfold iv_compose; destruct (Rle_dec _ _) as [_|N]; [reflexivity|contradiction].
Qed.

(** The error is only raised for contradictory evidence. *)
Theorem iv_compose_none :
  forall a b, iv_compose a b = None -> ~ exists x, contains a x /\ contains b x.
Proof.
  intros a b E [x [Ha Hb]].
  destruct (iv_compose_encloses a b x Ha Hb) as (r & E' & _).
  rewrite E in E'; discriminate.
Qed.

Theorem iv_compose_comm : forall a b, iv_compose a b = iv_compose b a.
Proof. intros a b; unfold iv_compose; now rewrite Rmax_comm, Rmin_comm. Qed.

(** The intersection is never wider than the tighter input. *)
Theorem iv_compose_unc_le_min :
  forall a b r, iv_compose a b = Some r -> unc r <= Rmin (unc a) (unc b).
Proof.
  intros a b r E; unfold iv_compose in E.
  destruct (Rle_dec _ _) as [L|L]; [|discriminate].
  inversion E; subst; clear E; cbn [unc].
  pose proof (Rmax_l (iv_lo a) (iv_lo b)); pose proof (Rmax_r (iv_lo a) (iv_lo b)).
  pose proof (Rmin_l (iv_hi a) (iv_hi b)); pose proof (Rmin_r (iv_hi a) (iv_hi b)).
  unfold iv_lo, iv_hi in *.
  apply Rmin_glb; lra.
Qed.

(** Monotone under inclusion: wider inputs give a wider result, and a
    compose that succeeds on narrower inputs also succeeds on wider ones. *)
Theorem iv_compose_mono :
  forall a a' b b' r,
  (forall x, contains a x -> contains a' x) ->
  (forall x, contains b x -> contains b' x) ->
  iv_compose a b = Some r ->
  exists r', iv_compose a' b' = Some r' /\ (forall x, contains r x -> contains r' x).
Proof.
  intros a a' b b' r Sa Sb E.
  assert (Vr : valid r).
  { unfold iv_compose in E; destruct (Rle_dec _ _) as [L|L]; [|discriminate].
    inversion E; subst; unfold valid; cbn [unc]; lra. }
  destruct (proj1 (iv_compose_exact a b r E (nom r)) (contains_nom r Vr)) as [Ha Hb].
  destruct (iv_compose_encloses a' b' (nom r) (Sa _ Ha) (Sb _ Hb)) as (r' & E' & _).
  exists r'; split; [exact E'|].
  intros x Hx.
  apply (iv_compose_exact a' b' r' E').
  destruct (proj1 (iv_compose_exact a b r E x) Hx) as [Hxa Hxb].
  split; [now apply Sa | now apply Sb].
Qed.
