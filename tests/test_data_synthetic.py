"""The synthetic generator: size, determinism, and physics of the simulated IMU."""
from __future__ import annotations

import dataclasses
import hashlib
from operator import attrgetter

import numpy as np
import pytest

from mmhar_lite.data import generate_synthetic, load_utd_mhad, prepare, write_utd_mhad_layout
from mmhar_lite.data.synthetic import (
    CLASS_NAMES,
    CONFUSABLE_PAIRS,
    PAIRS_BY_CUE,
    DOFS,
    GRAVITY,
    IMU_RATE,
    MOTIONS,
    Difficulty,
    class_keep_fractions,
    confusable_motions,
    make_subject,
    plan_trial,
    simulate,
    trial_plans,
)
from mmhar_lite.data.utd_mhad import KNOWN_ABSENT

RIGHT_WRIST, HIP_CENTER = 10, 3


@pytest.fixture(scope="module")
def full() -> object:
    return generate_synthetic(seed=0)


@pytest.fixture(scope="module")
def exact() -> object:
    """Noise-free kinematics (no sensor noise, bias or skeleton jitter)."""
    return generate_synthetic(n_subjects=2, n_trials=1, seed=1, noise=False)


def _trial(label: int, oversample: int = 1, seed: int = 0):
    """One noise-free trial of class `label`, its skeleton sampled `oversample` times per IMU
    sample, starting at the first IMU sample (so frame oversample * k is at IMU time k)."""
    rng = np.random.default_rng(seed)
    subject = make_subject(rng, 1)
    plan = plan_trial(rng, label, subject, 0, 1)
    plan = dataclasses.replace(
        plan, skeleton_rate=IMU_RATE * oversample, skeleton_start=0.0,
        skeleton_length=oversample * (plan.imu_length - 1) + 1,
    )
    return simulate([plan], [subject])[0]


def test_default_size_matches_utd_mhad(full):
    assert len(full.samples) == 27 * 8 * 4 - len(KNOWN_ABSENT)
    assert full.n_classes == 27 == len(set(CLASS_NAMES))
    present = {(s.label + 1, s.subject, s.trial) for s in full.samples}
    assert not present & set(KNOWN_ABSENT)
    assert sorted({s.subject for s in full.samples}) == list(range(1, 9))
    for sample in full.samples:
        assert sample.skeleton.shape[:2] == (20, 3) and sample.skeleton.dtype == np.float32
        assert sample.imu.shape[1] == 6 and sample.imu.dtype == np.float32


def test_lengths_vary_like_utd_mhad(full):
    imu = np.array([s.imu.shape[0] for s in full.samples])
    skel = np.array([s.skeleton.shape[2] for s in full.samples])
    assert imu.min() >= 100 and imu.max() <= 330 and imu.max() - imu.min() > 100
    assert skel.min() >= 35 and skel.max() <= 160
    ratio = imu / skel
    assert ratio.max() - ratio.min() > 0.3  # frames are not in a fixed ratio: resample separately


def test_skeleton_in_kinect_camera_space(full):
    torso = np.concatenate([s.skeleton[[0, 1, 2, 3], 2].ravel() for s in full.samples])
    # Standing about 2.5 m from the camera; sitting moves the hips back by a thigh length and
    # reclining the head and shoulders a little further.
    assert 2.2 < np.percentile(torso, 1) and np.median(torso) < 2.7 and np.percentile(torso, 99) < 3.25
    head_above_hips = np.array([s.skeleton[0, 1, 0] - s.skeleton[HIP_CENTER, 1, 0] for s in full.samples])
    assert (head_above_hips > 0.4).all()


def test_deterministic_in_seed():
    a, b = (generate_synthetic(n_subjects=1, n_trials=1, seed=5) for _ in range(2))
    c = generate_synthetic(n_subjects=1, n_trials=1, seed=6)
    for x, y in zip(a.samples, b.samples):
        np.testing.assert_array_equal(x.imu, y.imu)
        np.testing.assert_array_equal(x.skeleton, y.skeleton)
    assert not np.array_equal(a.samples[0].imu[:10], c.samples[0].imu[:10])


@pytest.mark.parametrize("difficulty", [Difficulty(), Difficulty(imbalance=4.0)], ids=["default", "imbalanced"])
def test_trial_plans_are_the_plans_of_the_generated_samples(difficulty):
    raw = generate_synthetic(n_subjects=2, n_trials=2, seed=3, difficulty=difficulty)
    plans = trial_plans(n_subjects=2, n_trials=2, seed=3, difficulty=difficulty)
    assert [(p.label, p.subject + 1, p.trial, p.imu_length, p.skeleton_length) for p in plans] == [
        (s.label, s.subject, s.trial, s.imu.shape[0], s.skeleton.shape[2]) for s in raw.samples]
    rates = np.array([p.skeleton_rate for p in plans])
    assert np.all((rates >= 18.0) & (rates <= 24.0)) and np.unique(rates).size == rates.size


def test_still_sensor_reads_one_g_and_no_rotation(exact):
    for sample in exact.samples:
        rest = sample.imu[:10]  # every trial starts with >= 0.35 s of standing still
        np.testing.assert_allclose(np.linalg.norm(rest[:, :3], axis=1), 1.0, atol=1e-4)
        np.testing.assert_allclose(rest[:, 3:], 0.0, atol=1e-3)


def test_noisy_still_sensor_is_about_one_g(small_synthetic):
    norms = np.concatenate([np.linalg.norm(s.imu[:10, :3], axis=1) for s in small_synthetic.samples])
    assert abs(norms.mean() - 1.0) < 0.05
    assert np.abs(np.concatenate([s.imu[:10, 3:] for s in small_synthetic.samples])).mean() < 6.0


def test_hanging_arm_reads_minus_one_g_on_x(exact):
    wrist = [s for s in exact.samples if MOTIONS[s.label].sensor == "wrist"]
    seated = np.array(["seated" in CLASS_NAMES[s.label] for s in wrist])
    acc_x = np.array([s.imu[:10, 0].mean() for s in wrist])
    assert (acc_x[~seated] < -0.8).all()  # sensor x points down the forearm, like UTD-MHAD's
    # reclined 30 degrees when seated: about -cos(30 deg) of 1 g, less with the arm's own angles
    assert (acc_x[seated] < -0.65).all() and (acc_x[seated] > -0.95).all()


@pytest.mark.parametrize("label", [CLASS_NAMES.index("right_hand_wave"), CLASS_NAMES.index("right_arm_throw")])
def test_accelerometer_is_second_difference_of_wrist_trajectory(label):
    oversample = 10
    rec = _trial(label, oversample)
    dt = 1.0 / (IMU_RATE * oversample)
    wrist = rec.skeleton[RIGHT_WRIST].T  # (T_s, 3) metres, camera space
    at_imu = np.arange(1, rec.imu.shape[0] - 1) * oversample
    accel = (wrist[at_imu + 1] - 2 * wrist[at_imu] + wrist[at_imu - 1]) / dt**2
    # Rotate the specific force (a - g, g pointing down) into the sensor frame, in g.
    expected = np.einsum("nji,nj->ni", rec.sensor_rotation[1:-1], accel + [0, GRAVITY, 0]) / GRAVITY
    assert np.abs(rec.imu[:, :3]).max() > 1.5  # the check covers real movement, not only rest
    np.testing.assert_allclose(rec.imu[1:-1, :3], expected, atol=2e-3)


def test_gyroscope_is_body_frame_rate_of_sensor_rotation():
    rec = _trial(CLASS_NAMES.index("right_hand_wave"))
    dt = 1.0 / IMU_RATE
    r = rec.sensor_rotation
    skew = np.transpose(r[1:-1], (0, 2, 1)) @ (r[2:] - r[:-2]) / (2 * dt)
    omega = np.degrees(np.stack([skew[:, 2, 1], skew[:, 0, 2], skew[:, 1, 0]], axis=1))
    peak = np.abs(rec.imu[:, 3:]).max()
    assert peak > 50
    # 50 Hz central differences are accurate to a few percent of the peak rate.
    error = np.abs(rec.imu[1:-1, 3:] - omega)
    assert error.max() < 0.05 * peak and np.median(error) < 0.005 * peak


def test_mirror_image_barely_moves_right_wrist(exact):
    def motion_energy(name: str) -> float:
        label = CLASS_NAMES.index(name)
        return float(np.mean([s.imu[:, 3:].std(axis=0).sum() for s in exact.samples if s.label == label]))

    assert motion_energy("left_hand_wave") < 0.2 * motion_energy("right_hand_wave")


def test_seated_posture_lowers_the_hips(exact):
    def hip_height(name: str) -> float:
        label = CLASS_NAMES.index(name)
        return float(np.mean([s.skeleton[HIP_CENTER, 1].mean() for s in exact.samples if s.label == label]))

    assert hip_height("arm_curl_standing") - hip_height("arm_curl_seated") > 0.25


def test_thigh_sensor_for_leg_actions(exact):
    sit = next(s for s in exact.samples if s.label == CLASS_NAMES.index("stand_to_sit"))
    # Standing, the thigh is vertical (x down: -1 g); seated it is horizontal (x ~ 0 g).
    assert sit.imu[:5, 0].mean() < -0.8 and abs(sit.imu[-5:, 0].mean()) < 0.4


def test_written_layout_loads_back_identically(tmp_path, small_synthetic):
    write_utd_mhad_layout(small_synthetic, tmp_path)
    loaded = load_utd_mhad(tmp_path, class_names=small_synthetic.class_names)
    assert loaded.skipped == [] and len(loaded.samples) == len(small_synthetic.samples)
    key = attrgetter("label", "subject", "trial")
    for a, b in zip(sorted(small_synthetic.samples, key=key), sorted(loaded.samples, key=key)):
        assert key(a) == key(b)
        np.testing.assert_array_equal(a.imu, b.imu)
        np.testing.assert_array_equal(a.skeleton, b.skeleton)


def test_seated_recline_tilts_gravity_at_the_wrist(exact):
    """Seated, the torso reclines 30 degrees: the wrist sensor sees gravity tilted by about
    that much at rest, the one cue of the posture the IMU shares with the skeleton."""
    def rest_gravity(name: str, subject: int) -> np.ndarray:
        label = CLASS_NAMES.index(name)
        sample = next(s for s in exact.samples if s.label == label and s.subject == subject)
        return sample.imu[:5, :3].mean(axis=0)

    for subject in {s.subject for s in exact.samples}:
        standing, seated = rest_gravity("arm_curl_standing", subject), rest_gravity("arm_curl_seated", subject)
        cosine = standing @ seated / (np.linalg.norm(standing) * np.linalg.norm(seated))
        assert 22 < np.degrees(np.arccos(cosine)) < 38


def test_subjects_face_the_camera_from_different_angles(full):
    """The shoulder line's yaw in the first frame spans tens of degrees across subjects and
    stays near the generator's +-45 degrees (35 per subject + 10 per trial; torso twist, style
    and joint jitter turn the shoulders a few degrees more)."""
    left_shoulder, right_shoulder = 4, 8
    yaws = np.array([
        np.degrees(np.arctan2(-(s.skeleton[right_shoulder, 2, 0] - s.skeleton[left_shoulder, 2, 0]),
                              s.skeleton[right_shoulder, 0, 0] - s.skeleton[left_shoulder, 0, 0]))
        for s in full.samples
    ])
    assert np.abs(yaws).max() < 60 and np.ptp(yaws) > 40


# ----------------------------------------------------------------------------- difficulty controls


def _digest(raw) -> str:
    digest = hashlib.sha256()
    for s in raw.samples:
        digest.update(np.ascontiguousarray(s.skeleton).tobytes())
        digest.update(np.ascontiguousarray(s.imu).tobytes())
        digest.update(np.array([s.label, s.subject, s.trial], dtype=np.int64).tobytes())
    return digest.hexdigest()


# Computed with the generator of commit 7ca0947, before the difficulty controls existed: the
# data behind results/synthetic (and every chapter) must not change.
SMALL_DIGEST = "10bc96c32abb817932ccdb467a67e9bb57489a4d42b4bde26b66249956b2f8b5"
FULL_DIGEST = "18fab40204d45c63bd4433add428a2edea2ac548a3c37abc6ccd0441ad55238c"


def test_default_generator_output_is_unchanged_bit_for_bit(full):
    assert _digest(full) == FULL_DIGEST
    assert _digest(generate_synthetic(n_subjects=2, n_trials=2, seed=3)) == SMALL_DIGEST
    explicit = generate_synthetic(n_subjects=2, n_trials=2, seed=3, difficulty=Difficulty(0.0, 1.0, 1.0))
    assert _digest(explicit) == SMALL_DIGEST


@pytest.mark.parametrize("field, value", [
    ("confusion", -0.1), ("confusion", 1.5), ("confusion", float("nan")),
    ("imbalance", 0.5), ("imbalance", float("inf")), ("nuisance", -1.0),
])
def test_difficulty_rejects_out_of_range_values(field, value):
    with pytest.raises(ValueError, match=f"Difficulty.{field} must be"):
        Difficulty(**{field: value})


def _angle_matrix(motion, s: np.ndarray) -> np.ndarray:
    """(n_dof, N) joint-angle deltas of `motion` at phases s (zero where it does not move)."""
    out = np.zeros((len(DOFS), s.size))
    for name, values in motion.angles(s).items():
        out[DOFS.index(name)] = values
    return out


def test_pairs_by_cue_name_real_classes_each_pair_once():
    pairs = [pair for kind in PAIRS_BY_CUE.values() for pair in kind]
    assert set(PAIRS_BY_CUE) == {"mirror", "reversed", "posture"}
    assert all(a in CLASS_NAMES and b in CLASS_NAMES and a != b for a, b in pairs)
    assert len({frozenset(p) for p in pairs}) == len(pairs)


def test_confusable_pairs_are_disjoint_and_share_a_sensor():
    members = [k for pair in CONFUSABLE_PAIRS for k in pair]
    assert len(members) == len(set(members))
    assert all(MOTIONS[i].sensor == MOTIONS[j].sensor for i, j in CONFUSABLE_PAIRS)


@pytest.mark.parametrize("confusion", [0.25, 0.8, 1.0])
def test_confusion_shrinks_each_pair_difference_to_one_minus_confusion(confusion):
    s = np.linspace(0, 1, 201)
    blended = confusable_motions(confusion)
    paired = {k for pair in CONFUSABLE_PAIRS for k in pair}
    for i, j in CONFUSABLE_PAIRS:
        before = _angle_matrix(MOTIONS[i], s) - _angle_matrix(MOTIONS[j], s)
        after = _angle_matrix(blended[i], s) - _angle_matrix(blended[j], s)
        assert np.abs(before).max() > 10  # the pair does differ today
        np.testing.assert_allclose(after, (1 - confusion) * before, atol=1e-9)
        assert blended[i].duration - blended[j].duration == pytest.approx((1 - confusion) * (MOTIONS[i].duration - MOTIONS[j].duration))
        # Both move symmetrically towards their midpoint.
        np.testing.assert_allclose(_angle_matrix(blended[i], s) + _angle_matrix(blended[j], s),
                                   _angle_matrix(MOTIONS[i], s) + _angle_matrix(MOTIONS[j], s), atol=1e-9)
    assert all(blended[k] is MOTIONS[k] for k in range(len(MOTIONS)) if k not in paired)
    assert confusable_motions(0.0) is MOTIONS


def _pair_recordings(i: int, j: int, motions) -> tuple:
    """Noise-free recordings of classes i and j from the same subject and the same draws."""
    subject = make_subject(np.random.default_rng(0), 1)
    return tuple(
        simulate([plan_trial(np.random.default_rng(7), k, subject, 0, 1, motions=motions)], [subject], motions=motions)[0]
        for k in (i, j)
    )


def _gap(a, b) -> tuple[float, float]:
    """IMU and skeleton distance between two recordings (over their common length)."""
    n, m = min(len(a.imu), len(b.imu)), min(a.skeleton.shape[2], b.skeleton.shape[2])
    return (float(np.linalg.norm(a.imu[:n] - b.imu[:n])),
            float(np.linalg.norm(a.skeleton[..., :m] - b.skeleton[..., :m])))


def test_confusion_draws_the_pairs_together_in_the_generated_data():
    for i, j in CONFUSABLE_PAIRS:
        today = _gap(*_pair_recordings(i, j, MOTIONS))
        close = _gap(*_pair_recordings(i, j, confusable_motions(0.8)))
        same = _gap(*_pair_recordings(i, j, confusable_motions(1.0)))
        for modality, before, after, identical in zip(("imu", "skeleton"), today, close, same):
            assert after < 0.5 * before, (CLASS_NAMES[i], CLASS_NAMES[j], modality, before, after)
            assert identical < 1e-6 * before, (CLASS_NAMES[i], CLASS_NAMES[j], modality, identical)
    # The other classes are untouched, to the bit.
    today = generate_synthetic(n_subjects=1, n_trials=1, seed=5, noise=False)
    hard = generate_synthetic(n_subjects=1, n_trials=1, seed=5, noise=False, difficulty=Difficulty(confusion=0.8))
    paired = {k for pair in CONFUSABLE_PAIRS for k in pair}
    for a, b in zip(today.samples, hard.samples):
        assert (a.label, a.subject, a.trial) == (b.label, b.subject, b.trial)
        untouched = np.array_equal(a.skeleton, b.skeleton) and np.array_equal(a.imu, b.imu)
        assert untouched == (a.label not in paired), CLASS_NAMES[a.label]


def test_imbalance_sets_the_largest_to_smallest_class_ratio():
    n_subjects, n_trials = 3, 4
    raw = generate_synthetic(n_subjects=n_subjects, n_trials=n_trials, seed=2, noise=False,
                             difficulty=Difficulty(imbalance=4.0))
    counts = np.bincount([s.label for s in raw.samples], minlength=27)
    fractions = class_keep_fractions(4.0, 27, seed=2)
    assert fractions.max() == 1.0 and fractions.min() == pytest.approx(0.25)
    expected = n_subjects * np.maximum(1, np.round(n_trials * fractions))
    np.testing.assert_array_equal(counts, expected)  # no KNOWN_ABSENT trial in 3 subjects x 4 trials
    assert counts.max() / counts.min() == 4.0
    # The kept trials are today's trials, unchanged.
    today = {(s.label, s.subject, s.trial): s for s in generate_synthetic(n_subjects=n_subjects, n_trials=n_trials,
                                                                           seed=2, noise=False).samples}
    for sample in raw.samples:
        assert np.array_equal(sample.imu, today[(sample.label, sample.subject, sample.trial)].imu)
    assert len(generate_synthetic(n_subjects=1, n_trials=2, seed=2, difficulty=Difficulty(imbalance=1.0)).samples) == 54


def test_nuisance_scales_the_style_drift_of_each_trial():
    subject = make_subject(np.random.default_rng(0), 1)
    plans = {k: plan_trial(np.random.default_rng(1), 4, subject, 0, 1, nuisance=k) for k in (0.0, 1.0, 2.5)}
    np.testing.assert_array_equal(plans[0.0].style_amplitude, 0.0)
    np.testing.assert_allclose(plans[2.5].style_amplitude, 2.5 * plans[1.0].style_amplitude)
    assert plans[2.5].active == plans[1.0].active and plans[2.5].yaw == plans[1.0].yaw


def test_nuisance_widens_the_spread_within_each_class():
    def spread(nuisance: float) -> float:
        data = prepare(generate_synthetic(n_subjects=2, n_trials=2, seed=4, noise=False,
                                          difficulty=Difficulty(nuisance=nuisance)))
        x = data.skeleton.reshape(len(data.labels), -1)
        return float(np.mean([x[data.labels == k].var(axis=0).sum() for k in range(data.n_classes)]))

    none, today, strong = spread(0.0), spread(1.0), spread(3.0)
    assert none < today < strong
    assert strong > 2 * today


def test_quoted_constants_are_the_ones_the_generator_uses() -> None:
    """Chapter 2 quotes SEATED_RECLINE and MAX_MOUNT_ROTATION: they must be what is simulated."""
    from mmhar_lite.data import synthetic

    assert synthetic._seated({})["torso_lean"] == -synthetic.SEATED_RECLINE
    rng = np.random.default_rng(0)
    # the rotation angle of each subject's mount, from the trace of its rotation matrix
    angles = [np.degrees(np.arccos(np.clip((np.trace(make_subject(rng, k).mount) - 1) / 2, -1, 1)))
              for k in range(200)]
    assert max(angles) <= synthetic.MAX_MOUNT_ROTATION + 1e-9
    assert max(angles) > 0.9 * synthetic.MAX_MOUNT_ROTATION
