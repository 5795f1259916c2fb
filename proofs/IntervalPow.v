(** * Interval enclosure of integer powers and of the square root (over ℝ)

    An interval [[lo, hi]] stands for the reals x with lo <= x <= hi; in the
    (n, u) reading of [IntervalReal.v] that is lo = n - u, hi = n + u
    ([contains_between]).  [ipow] is how an interval power x^k (k a natural
    number) must be computed: x^k is increasing for odd k, so the ends map
    to the ends; for even k > 0 it is decreasing on x <= 0 and increasing on
    x >= 0, so an interval that straddles 0 goes to [0, max(lo^k, hi^k)].
    The theorems show that [ipow] encloses every x^k and that both of its
    ends are attained, so no narrower interval encloses.  [ipow_inv] does the
    same for x^-k when 0 is not in the interval, and [isqrt] for sqrt on
    0 <= lo.

    Nothing here is about floating point; [FloatPow.v] adds outward
    rounding.  There is no Go function that these definitions transcribe. *)

From Coq Require Import Reals Psatz.
From EBIOS Require Import NUReal IntervalReal.
Open Scope R_scope.

(** ** Definitions *)

Definition ipow (lo hi : R) (k : nat) : R * R :=
  if Nat.eqb k 0 then (1, 1)
  else if Nat.even k then
    if Rle_dec 0 lo then (lo ^ k, hi ^ k)
    else if Rle_dec hi 0 then (hi ^ k, lo ^ k)
    else (0, Rmax (lo ^ k) (hi ^ k))
  else (lo ^ k, hi ^ k).

(** x^-k = (1/x)^k: the reciprocal interval [1/hi, 1/lo], then [ipow].
    Only meaningful when 0 is not in [lo, hi]. *)
Definition ipow_inv (lo hi : R) (k : nat) : R * R := ipow (/ hi) (/ lo) k.

Definition isqrt (lo hi : R) : R * R := (sqrt lo, sqrt hi).

(** The same in the (n, u) form of interval mode: the midpoint and the
    half-width of the computed interval. *)
Definition of_ends (e : R * R) : NU :=
  mkNU ((fst e + snd e) / 2) ((snd e - fst e) / 2).

Definition iv_pow (a : NU) (k : nat) : NU := of_ends (ipow (iv_lo a) (iv_hi a) k).

(** ** Facts about x^k *)

Lemma pow_even_abs : forall x k, Nat.even k = true -> x ^ k = Rabs x ^ k.
Proof.
  intros x k E; apply Nat.even_spec in E; destruct E as [m ->].
  now rewrite !pow_mult, pow2_abs.
Qed.

Lemma pow_even_opp : forall x k, Nat.even k = true -> (- x) ^ k = x ^ k.
Proof.
  intros x k E; rewrite (pow_even_abs (- x)), (pow_even_abs x) by exact E.
  now rewrite Rabs_Ropp.
Qed.

Lemma pow_odd_opp : forall x k, Nat.even k = false -> (- x) ^ k = - x ^ k.
Proof.
  intros x k E.
  assert (O : Nat.Odd k).
  { apply Nat.odd_spec; now rewrite <- Nat.negb_even, E. }
  destruct O as [m ->].
  replace (- x) with (-1 * x) by ring.
  rewrite Rpow_mult_distr, Nat.add_1_r, pow_1_odd; ring.
Qed.

Lemma pow_even_mono :
  forall x y k, Nat.even k = true -> Rabs x <= Rabs y -> x ^ k <= y ^ k.
Proof.
  intros x y k E L; rewrite (pow_even_abs x), (pow_even_abs y) by exact E.
  apply pow_incr; split; [apply Rabs_pos | exact L].
Qed.

Lemma pow_even_nonneg : forall x k, Nat.even k = true -> 0 <= x ^ k.
Proof.
  intros x k E; rewrite pow_even_abs by exact E; apply pow_le, Rabs_pos.
Qed.

Lemma pow_odd_mono :
  forall x y k, Nat.even k = false -> x <= y -> x ^ k <= y ^ k.
Proof.
  intros x y k E L.
  destruct (Rle_dec 0 x) as [Px|Px].
  - apply pow_incr; lra.
  - destruct (Rle_dec y 0) as [Ny|Ny].
    + assert (M : (- y) ^ k <= (- x) ^ k) by (apply pow_incr; lra).
      rewrite !pow_odd_opp in M by exact E; lra.
    + assert (A : 0 <= (- x) ^ k) by (apply pow_le; lra).
      assert (B : 0 <= y ^ k) by (apply pow_le; lra).
      rewrite pow_odd_opp in A by exact E; lra.
Qed.

(** ** Enclosure and tightness of [ipow] *)

Theorem ipow_encloses :
  forall lo hi x k, lo <= x <= hi ->
  fst (ipow lo hi k) <= x ^ k <= snd (ipow lo hi k).
Proof.
  intros lo hi x k [L H]; unfold ipow.
  destruct (Nat.eqb_spec k 0) as [->|K]; [simpl; lra|].
  destruct (Nat.even k) eqn:E.
  - destruct (Rle_dec 0 lo) as [Plo|Plo]; [split; apply pow_incr; lra|].
    destruct (Rle_dec hi 0) as [Nhi|Nhi]; simpl.
    + split; apply pow_even_mono; auto; rewrite !Rabs_left1; lra.
    + split; [now apply pow_even_nonneg|].
      destruct (Rle_dec 0 x).
      * apply Rle_trans with (hi ^ k); [apply pow_incr; lra | apply Rmax_r].
      * apply Rle_trans with (lo ^ k); [|apply Rmax_l].
        apply pow_even_mono; auto; rewrite !Rabs_left1; lra.
  - simpl; split; apply pow_odd_mono; auto.
Qed.

(** Both ends of [ipow] are values of x^k for some x in [lo, hi]. *)
Theorem ipow_tight :
  forall lo hi k, lo <= hi ->
  (exists x, lo <= x <= hi /\ x ^ k = fst (ipow lo hi k)) /\
  (exists x, lo <= x <= hi /\ x ^ k = snd (ipow lo hi k)).
Proof.
  intros lo hi k LH; unfold ipow.
  destruct (Nat.eqb_spec k 0) as [->|K].
  { simpl; split; exists lo; split; (lra || ring). }
  assert (Elo : lo <= lo <= hi) by lra.
  assert (Ehi : lo <= hi <= hi) by lra.
  destruct (Nat.even k).
  - destruct (Rle_dec 0 lo); [split; eauto|].
    destruct (Rle_dec hi 0); [split; eauto|].
    simpl; split.
    + exists 0; split; [lra|]; apply pow_i; lia.
    + unfold Rmax; destruct (Rle_dec (lo ^ k) (hi ^ k)); eauto.
  - split; eauto.
Qed.

(** In (n, u) form: [iv_pow a k] stands for every x^k with x in [a]. *)
Theorem iv_pow_encloses :
  forall a x k, contains a x -> contains (iv_pow a k) (x ^ k).
Proof.
  intros a x k H; unfold iv_pow, of_ends.
  rewrite contains_mid; apply ipow_encloses; now apply contains_between.
Qed.

(** ** Negative exponents, for intervals without 0 *)

Lemma inv_between :
  forall lo hi x, (0 < lo \/ hi < 0) -> lo <= x <= hi -> / hi <= / x <= / lo.
Proof.
  intros lo hi x S [L H]; destruct S as [P|N].
  - split; apply Rinv_le_contravar; lra.
  - assert (A : / - x <= / - hi) by (apply Rinv_le_contravar; lra).
    assert (B : / - lo <= / - x) by (apply Rinv_le_contravar; lra).
    rewrite !Rinv_opp in A, B; lra.
Qed.

Theorem ipow_inv_encloses :
  forall lo hi x k, (0 < lo \/ hi < 0) -> lo <= x <= hi ->
  fst (ipow_inv lo hi k) <= / (x ^ k) <= snd (ipow_inv lo hi k).
Proof.
  intros lo hi x k S B; unfold ipow_inv.
  rewrite <- pow_inv; apply ipow_encloses; now apply inv_between.
Qed.

Theorem ipow_inv_tight :
  forall lo hi k, (0 < lo \/ hi < 0) -> lo <= hi ->
  (exists x, lo <= x <= hi /\ / (x ^ k) = fst (ipow_inv lo hi k)) /\
  (exists x, lo <= x <= hi /\ / (x ^ k) = snd (ipow_inv lo hi k)).
Proof.
  intros lo hi k S LH; unfold ipow_inv.
  assert (Z : forall y, / hi <= y <= / lo -> lo <= / y <= hi).
  { intros y Y.
    assert (S' : 0 < / hi \/ / lo < 0).
    { destruct S; [left | right]; apply Rinv_0_lt_compat || apply Rinv_lt_0_compat;
        lra. }
    pose proof (inv_between (/ hi) (/ lo) y S' Y) as W.
    now rewrite !Rinv_inv in W. }
  destruct (ipow_tight (/ hi) (/ lo) k) as [[y1 [B1 E1]] [y2 [B2 E2]]].
  { apply inv_between with (x := lo) in S; lra. }
  split.
  - exists (/ y1); split; [now apply Z|]; now rewrite <- pow_inv, Rinv_inv.
  - exists (/ y2); split; [now apply Z|]; now rewrite <- pow_inv, Rinv_inv.
Qed.

(** ** Square root, for 0 <= lo *)

Theorem isqrt_encloses :
  forall lo hi x, 0 <= lo -> lo <= x <= hi ->
  fst (isqrt lo hi) <= sqrt x <= snd (isqrt lo hi).
Proof. intros lo hi x P [L H]; simpl; split; now apply sqrt_le_1_alt. Qed.

Theorem isqrt_tight :
  forall lo hi, lo <= hi ->
  (exists x, lo <= x <= hi /\ sqrt x = fst (isqrt lo hi)) /\
  (exists x, lo <= x <= hi /\ sqrt x = snd (isqrt lo hi)).
Proof.
  intros lo hi LH; split; [exists lo | exists hi]; simpl; split; (lra || reflexivity).
Qed.
