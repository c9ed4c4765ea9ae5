r"""Synthetic paired skeleton + IMU recordings from one simulated motion (UTD-MHAD-like).

Each trial is a smooth trajectory of joint angles of a 20-joint articulated body. Forward
kinematics gives the Kinect v1 skeleton (metres, camera space: x to the subject's right,
y up, z away from the camera, the subject about 2.6 m in front of it). The IMU reads the
SAME kinematics: a sensor rigidly mounted on the right forearm at the wrist (arm actions)
or on the outside of the right thigh (leg actions) measures

.. math::

    \text{accelerometer} &= R_s^\top (a - g) / g_0, \\
    \text{gyroscope} &= \operatorname{vee}\big(R_s^\top \, \mathrm{d}R_s / \mathrm{d}t\big),

the accelerometer in g (gravity :math:`g = (0, -g_0, 0)`, so +1 g up at rest), the gyroscope
the body-frame angular velocity in deg/s; :math:`R_s` maps sensor axes to camera axes and `a` is the
sensor's acceleration; both are
central finite differences of the kinematics with a 2 ms step, then sampled at 50 Hz. Sensor
axes: x along the limb towards the hand/knee (so a hanging arm reads about -1 g on x, as
UTD-MHAD does), z out of the lateral side, y = z cross x. Each subject has its own limb
lengths, speed, amplitude, posture habits, sensor noise and bias and a mounting rotation;
each trial its own speed, amplitude, timing warp and style perturbations.

The 27 classes contain deliberately confusable pairs: mirror images (right vs left wave,
right vs left punch: the right-wrist sensor barely moves in the left-arm versions),
direction-reversed motions (swipe left/right, circle clockwise/counter-clockwise, sit to
stand / stand to sit), and the same wrist motion in a different posture (arm curl standing
vs seated: seated, the torso reclines 30 degrees, which the wrist sensor sees only as a
tilt of gravity), so that hard negatives exist and the skeleton adds information. Subjects face
the camera from up to 35 degrees to either side (10 more per trial): a nuisance of the
skeleton's coordinates that the IMU, in the body's own frame, does not share.

Difficulty controls (:class:`Difficulty`; their defaults, no confusion, no imbalance and the
standard style drift ``nuisance=1``, give the standard data exactly): ``confusion`` moves the two motions of each
:data:`CONFUSABLE_PAIRS` pair towards each other (fewer distinguishing cues), ``imbalance``
makes class sizes unequal, and ``nuisance`` scales the label-free per-trial style drift.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import scipy.io

from mmhar_lite.data.base import RawDataset, Sample
from mmhar_lite.data import utd_mhad
from mmhar_lite.data.utd_mhad import KNOWN_ABSENT, UTD_MHAD_IMU_CHANNELS, inertial_path, skeleton_path

__all__ = [
    "GRAVITY",
    "IMU_RATE",
    "MOTIONS",
    "CLASS_NAMES",
    "DOFS",
    "CONFUSABLE_PAIRS",
    "PAIRS_BY_CUE",
    "SEATED_RECLINE",
    "MAX_MOUNT_ROTATION",
    "Difficulty",
    "Motion",
    "Subject",
    "TrialPlan",
    "Recording",
    "make_subject",
    "plan_trial",
    "trial_plans",
    "confusable_motions",
    "class_keep_fractions",
    "simulate",
    "generate_synthetic",
    "write_utd_mhad_layout",
]

GRAVITY = 9.80665  #: m/s², one g
IMU_RATE = utd_mhad.IMU_RATE  #: Hz, as UTD-MHAD's inertial sensor
_FD_STEP = 2e-3  # s: central-difference step for the IMU (error O(step^2), far below noise)

# ---------------------------------------------------------------------------------------
# Body model. Each joint j (but the root, hip_center 3) ends a bone from its parent;
# pos[j] = pos[parent] + R_bone[j] @ offset[j], R_bone[j] = R_bone[parent] @ L[j], where L[j]
# is the joint rotation driven by the degrees of freedom below (identity for rigid joints).
# Rest pose, body frame = camera frame of a subject facing the camera: x right, y up, z back.
# ---------------------------------------------------------------------------------------
_PARENT = np.array([1, 2, 3, -1, 1, 4, 5, 6, 1, 8, 9, 10, 3, 12, 13, 14, 3, 16, 17, 18])
_ORDER = [2, 1, 0, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]  # parents first
_REST_OFFSETS = np.array([
    [0, 0.20, 0], [0, 0.26, 0], [0, 0.22, 0], [0, 0, 0],  # head, shoulder_center, spine, hip_center
    [-0.17, -0.04, 0], [0, -0.28, 0], [0, -0.25, 0], [0, -0.08, 0],  # left arm
    [0.17, -0.04, 0], [0, -0.28, 0], [0, -0.25, 0], [0, -0.08, 0],  # right arm
    [-0.09, -0.06, 0], [0, -0.42, 0], [0, -0.41, 0], [0, -0.06, -0.09],  # left leg
    [0.09, -0.06, 0], [0, -0.42, 0], [0, -0.41, 0], [0, -0.06, -0.09],  # right leg
])
# Per-subject length factors apply to these groups of bones.
_SEGMENTS = {
    "torso": [0, 1, 2], "shoulders": [4, 8], "upper_arm": [5, 9], "forearm": [6, 10, 7, 11],
    "hips": [12, 16], "thigh": [13, 17], "shin": [14, 18, 15, 19],
}

# Degrees of freedom (degrees). Arm/leg angles use the same sign for both sides: abduction
# is always outwards, yaw always towards the midline, so a left-arm motion is the mirror
# image of the right-arm motion with the same numbers.
DOFS = [
    "r_sh_flex", "r_sh_abd", "r_sh_yaw", "r_sh_twist", "r_el", "r_wr",
    "l_sh_flex", "l_sh_abd", "l_sh_yaw", "l_sh_twist", "l_el", "l_wr",
    "torso_lean", "torso_side", "torso_twist",
    "r_hip_flex", "r_hip_abd", "r_knee", "r_ankle",
    "l_hip_flex", "l_hip_abd", "l_knee", "l_ankle",
]
_D = {name: i for i, name in enumerate(DOFS)}
# Standing at rest: arms hang slightly away from the body, elbows slightly bent.
_REST_ANGLES = np.array(
    [{"r_sh_abd": 8, "l_sh_abd": 8, "r_el": 12, "l_el": 12, "r_hip_abd": 3, "l_hip_abd": 3}.get(n, 0.0) for n in DOFS]
)
# Which DOFs the per-trial style perturbation moves, and how much (relative).
_STYLE_WEIGHT = np.array([1.0] * 12 + [0.6] * 3 + [0.5] * 8)


def _rot(axis: int, degrees: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations by `degrees` (N,) about coordinate axis 0 (x), 1 (y) or 2 (z)."""
    a = np.radians(degrees)
    c, s = np.cos(a), np.sin(a)
    r = np.zeros(a.shape + (3, 3))
    # (i, j) cyclic after `axis` (y: z then x), so every axis follows the right-hand rule.
    i, j = (axis + 1) % 3, (axis + 2) % 3
    r[:, axis, axis] = 1.0
    r[:, i, i], r[:, i, j], r[:, j, i], r[:, j, j] = c, -s, s, c
    return r


def _joint_rotation(angles: np.ndarray, joint: int) -> np.ndarray | None:
    """Local rotation L[joint] (N, 3, 3) from DOF angles (N, n_dof); None for rigid joints."""
    def g(name: str) -> np.ndarray:
        return angles[:, _D[name]]

    if joint == 2:
        return _rot(1, g("torso_twist")) @ _rot(2, g("torso_side")) @ _rot(0, -g("torso_lean"))
    # Mirroring through the x = 0 plane keeps rotations about x and flips those about y, z.
    for side, sign, (upper, fore, hand), (thigh, shin, foot) in (
        ("r", 1.0, (9, 10, 11), (17, 18, 19)), ("l", -1.0, (5, 6, 7), (13, 14, 15))
    ):
        if joint == upper:
            return (
                _rot(1, sign * g(f"{side}_sh_yaw")) @ _rot(2, sign * g(f"{side}_sh_abd"))
                @ _rot(0, g(f"{side}_sh_flex")) @ _rot(1, sign * g(f"{side}_sh_twist"))
            )
        if joint in (fore, hand, shin, foot):
            dof = {fore: "el", hand: "wr", shin: "knee", foot: "ankle"}[joint]
            return _rot(0, -g(f"{side}_{dof}") if joint == shin else g(f"{side}_{dof}"))
        if joint == thigh:
            return _rot(2, sign * g(f"{side}_hip_abd")) @ _rot(0, g(f"{side}_hip_flex"))
    return None


def _forward_kinematics(
    angles: np.ndarray, offsets: np.ndarray, joints: frozenset[int] = frozenset(range(20))
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Joint positions (N, 20, 3) and bone rotations {joint: (N, 3, 3)}, body frame, root at 0.

    angles: (N, n_dof) degrees; offsets: (N, 20, 3) bone vectors of each point's subject.
    Only `joints` (closed under parents) are computed; other positions are left at zero.
    """
    n = angles.shape[0]
    # One contiguous array per joint: strided slices of a (N, 20, 3, 3) block are much slower.
    positions = {3: np.zeros((n, 3))}
    bones = {3: np.broadcast_to(np.eye(3), (n, 3, 3))}
    for j in _ORDER:
        if j not in joints:
            continue
        parent = bones[_PARENT[j]]
        local = _joint_rotation(angles, j)
        bones[j] = parent if local is None else parent @ local
        positions[j] = positions[_PARENT[j]] + (bones[j] @ offsets[:, j, :, None])[..., 0]
    stacked = np.zeros((n, 20, 3))
    for j, position in positions.items():
        stacked[:, j] = position
    return stacked, bones


def _softmin(a: np.ndarray, b: np.ndarray, sharpness: float = 40.0) -> np.ndarray:
    """A smooth min (so the grounded body has continuous accelerations)."""
    low = np.minimum(a, b)
    return low - np.log1p(np.exp(-sharpness * np.abs(a - b))) / sharpness


# ---------------------------------------------------------------------------------------
# Motions: functions of the trial phase s in [0, 1]. All shaping functions have zero first
# and second derivatives where a movement starts and stops, so velocities and accelerations
# (hence the IMU) are continuous and exactly zero during the rest before and after.
# ---------------------------------------------------------------------------------------
def _ease(x: np.ndarray) -> np.ndarray:
    """Smootherstep of clip(x, 0, 1): 0 → 1 with zero 1st and 2nd derivatives at both ends."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (x * (6 * x - 15) + 10)


def _ramp(s: np.ndarray, a: float, b: float) -> np.ndarray:
    """Eased 0 → 1 over s in [a, b]."""
    return _ease((s - a) / (b - a))


def _hold(s: np.ndarray, a: float, b: float) -> np.ndarray:
    """0 → 1 over [0, a], 1 until b, 1 → 0 over [b, 1]."""
    return _ease(s / a) * _ease((1 - s) / (1 - b))


def _window(s: np.ndarray, a: float, b: float) -> np.ndarray:
    """1 inside [a, b] except eased 0 → 1 → 0 over its first and last 15 %: multiplies a
    cyclic term so that it starts and stops smoothly at a steady tempo."""
    m = np.clip((s - a) / (b - a), 0.0, 1.0)
    return _ease(m / 0.15) * _ease((1 - m) / 0.15)


def _phase(s: np.ndarray, cycles: float, a: float, b: float) -> np.ndarray:
    """Angle 0 → 2π cycles, linear over [a, b] (use with `_window`)."""
    return 2 * np.pi * cycles * np.clip((s - a) / (b - a), 0.0, 1.0)


def _osc(s: np.ndarray, cycles: float, a: float, b: float) -> np.ndarray:
    """`cycles` sine cycles over [a, b], faded in and out."""
    return np.sin(_phase(s, cycles, a, b)) * _window(s, a, b)


def _pulse(s: np.ndarray, cycles: float, a: float, b: float) -> np.ndarray:
    """`cycles` 0 → 1 → 0 pulses over [a, b], faded in and out."""
    return 0.5 * (1 - np.cos(_phase(s, cycles, a, b))) * _window(s, a, b)


Angles = dict[str, np.ndarray]  # DOF name -> (N,) degrees added to the rest pose


def _mirror(angles: Angles) -> Angles:
    """The same motion on the other side of the body."""
    swap = {"r_": "l_", "l_": "r_"}
    return {swap.get(k[:2], k[:2]) + k[2:]: v for k, v in angles.items()}


def _swipe(s: np.ndarray, towards_left: bool) -> Angles:
    h, p = _hold(s, 0.25, 0.8), _ramp(s, 0.3, 0.72)
    start, end = (-45.0, 40.0) if towards_left else (40.0, -45.0)
    return {"r_sh_flex": 85 * h, "r_el": 10 * h, "r_sh_yaw": h * (start + (end - start) * p)}


def _wave(s: np.ndarray) -> Angles:
    h = _hold(s, 0.2, 0.85)
    return {"r_sh_flex": 40 * h, "r_sh_abd": 50 * h, "r_el": 100 * h,
            "r_sh_twist": 30 * _osc(s, 3, 0.25, 0.82)}


def _clap(s: np.ndarray) -> Angles:
    h, q = _hold(s, 0.15, 0.88), _pulse(s, 4, 0.22, 0.82)
    yaw = h * (-28 + 32 * q)
    return {"r_sh_flex": 75 * h, "l_sh_flex": 75 * h, "r_el": 35 * h, "l_el": 35 * h, "r_sh_yaw": yaw, "l_sh_yaw": yaw}


def _throw(s: np.ndarray) -> Angles:
    a, b, c = _ramp(s, 0.08, 0.4), _ramp(s, 0.46, 0.62), _ramp(s, 0.68, 0.95)
    return {"r_sh_flex": 150 * a - 80 * b - 70 * c, "r_el": 100 * a - 85 * b - 15 * c,
            "r_sh_abd": 20 * a - 20 * c, "torso_twist": -20 * a + 35 * b - 15 * c,
            "torso_lean": -5 * a + 20 * b - 15 * c, "l_sh_flex": 30 * a - 30 * c}


def _circle(s: np.ndarray, clockwise: bool) -> Angles:
    h, th, w = _hold(s, 0.18, 0.88), _phase(s, 2, 0.2, 0.86), _window(s, 0.2, 0.86)
    sign = 1.0 if clockwise else -1.0
    return {"r_sh_flex": 65 * h + 22 * w * np.cos(th), "r_sh_abd": 12 * h + sign * 22 * w * np.sin(th), "r_el": 15 * h}


def _punch(s: np.ndarray) -> Angles:
    h, q = _hold(s, 0.15, 0.88), _pulse(s, 3, 0.2, 0.85)
    return {"r_sh_flex": h * (45 + 40 * q), "r_el": h * (115 - 100 * q), "torso_twist": 10 * q}


def _arm_curl(s: np.ndarray) -> Angles:
    h = _hold(s, 0.12, 0.9)
    return {"r_el": 110 * _pulse(s, 3, 0.15, 0.88), "r_sh_flex": 8 * h}


#: degrees the torso reclines in a seated class
#: (:doc:`chapter 2 (Encoders) </notebooks/02_encoders>` quotes it)
SEATED_RECLINE = 30.0
#: largest rotation (degrees) of a subject's IMU from its nominal mounting
#: (:doc:`chapter 2 (Encoders) </notebooks/02_encoders>` quotes it)
MAX_MOUNT_ROTATION = 20.0


def _seated(angles: Angles) -> Angles:
    """The same motion performed sitting back in a chair (hips and knees at 90 degrees, the
    torso reclined by SEATED_RECLINE throughout)."""
    posture = {"r_hip_flex": 88.0, "l_hip_flex": 88.0, "r_knee": 88.0, "l_knee": 88.0,
               "torso_lean": -SEATED_RECLINE}
    return {**angles, **{k: angles.get(k, 0.0) + v for k, v in posture.items()}}


def _knock(s: np.ndarray) -> Angles:
    h = _hold(s, 0.18, 0.85)
    return {"r_sh_flex": 70 * h, "r_el": h * 80 + 15 * _osc(s, 4, 0.28, 0.78), "r_sh_abd": 10 * h}


def _catch(s: np.ndarray) -> Angles:
    a, b, c = _ramp(s, 0.1, 0.35), _ramp(s, 0.45, 0.65), _ramp(s, 0.72, 0.95)
    return {"r_sh_flex": 125 * a - 75 * b - 50 * c, "r_el": 10 * a + 80 * b - 90 * c,
            "r_sh_abd": 15 * a - 15 * c, "l_sh_flex": 20 * a - 20 * c}


def _pick_up_throw(s: np.ndarray) -> Angles:
    a, b = _ramp(s, 0.05, 0.3), _ramp(s, 0.35, 0.55)
    c, d = _ramp(s, 0.58, 0.7), _ramp(s, 0.75, 0.95)
    bend = a - b
    return {"torso_lean": 55 * bend, "r_knee": 35 * bend, "l_knee": 35 * bend,
            "r_hip_flex": 30 * bend, "l_hip_flex": 30 * bend,
            "r_sh_flex": 35 * a + 115 * b - 80 * c - 70 * d, "r_el": 10 * a + 80 * b - 75 * c - 15 * d}


def _forehand(s: np.ndarray) -> Angles:
    a, b, c = _ramp(s, 0.1, 0.4), _ramp(s, 0.44, 0.64), _ramp(s, 0.7, 0.95)
    return {"torso_twist": -35 * a + 70 * b - 35 * c, "r_sh_abd": 55 * a - 55 * c,
            "r_sh_yaw": -50 * a + 110 * b - 60 * c, "r_el": 20 * a - 20 * c}


def _serve(s: np.ndarray) -> Angles:
    a, b, c = _ramp(s, 0.05, 0.35), _ramp(s, 0.45, 0.6), _ramp(s, 0.68, 0.95)
    return {"l_sh_flex": 160 * a - 130 * b - 30 * c, "r_sh_flex": 165 * a - 70 * b - 95 * c,
            "r_el": 110 * a - 100 * b - 10 * c, "torso_lean": -10 * a + 30 * b - 20 * c}


def _push(s: np.ndarray) -> Angles:
    h, q = _hold(s, 0.15, 0.88), _pulse(s, 2, 0.25, 0.82)
    flex, elbow = h * (40 + 45 * q), h * (110 - 90 * q)
    return {"r_sh_flex": flex, "l_sh_flex": flex, "r_el": elbow, "l_el": elbow}


def _bowling(s: np.ndarray) -> Angles:
    a, b, c = _ramp(s, 0.1, 0.4), _ramp(s, 0.45, 0.65), _ramp(s, 0.72, 0.95)
    return {"r_sh_flex": -45 * a + 125 * b - 80 * c, "torso_lean": 25 * a + 10 * b - 35 * c,
            "l_knee": 40 * a - 40 * c, "l_hip_flex": 35 * a - 35 * c, "r_knee": 20 * a - 20 * c}


def _cross_arms(s: np.ndarray) -> Angles:
    h = _hold(s, 0.25, 0.75)
    return {"r_sh_flex": 70 * h, "l_sh_flex": 70 * h, "r_sh_yaw": 75 * h, "l_sh_yaw": 75 * h,
            "r_el": 95 * h, "l_el": 95 * h}


def _in_place(s: np.ndarray, hip: float, knee: float, arm: float, elbow: float, cycles: int) -> Angles:
    """Jogging or walking in place: legs alternate, arms swing opposite."""
    h, ph, w = _hold(s, 0.1, 0.92), _phase(s, cycles, 0.12, 0.9), _window(s, 0.12, 0.9)
    right, left = 0.5 * w * (1 - np.cos(ph)), 0.5 * w * (1 + np.cos(ph))
    return {"r_hip_flex": hip * right, "l_hip_flex": hip * left, "r_knee": knee * right, "l_knee": knee * left,
            "r_sh_flex": arm * w * np.cos(ph), "l_sh_flex": -arm * w * np.cos(ph), "r_el": elbow * h, "l_el": elbow * h}


def _sit(s: np.ndarray, sitting_down: bool) -> Angles:
    p = _ramp(s, 0.25, 0.8) if sitting_down else 1 - _ramp(s, 0.2, 0.75)
    lean = _pulse(s, 1, 0.15, 0.85)
    return {"r_hip_flex": 90 * p, "l_hip_flex": 90 * p, "r_knee": 90 * p, "l_knee": 90 * p,
            "torso_lean": 35 * lean, "r_sh_flex": 20 * lean, "l_sh_flex": 20 * lean}


def _lunge_left_foot(s: np.ndarray) -> Angles:
    g = _ramp(s, 0.15, 0.45) - _ramp(s, 0.6, 0.9)
    return {"l_hip_flex": 75 * g, "l_knee": 85 * g, "r_hip_flex": -20 * g, "r_knee": 75 * g, "torso_lean": 5 * g}


def _squat(s: np.ndarray) -> Angles:
    g, h = _pulse(s, 2, 0.18, 0.86), _hold(s, 0.12, 0.92)
    return {"r_hip_flex": 100 * g, "l_hip_flex": 100 * g, "r_knee": 115 * g, "l_knee": 115 * g,
            "torso_lean": 35 * g, "r_sh_flex": 90 * h, "l_sh_flex": 90 * h}


@dataclass(frozen=True)
class Motion:
    """One activity class: joint-angle deltas (degrees) as a function of the phase s (N,)."""

    name: str
    sensor: str  # "wrist" | "thigh": where the IMU sits during this activity
    duration: float  # seconds of movement at speed 1
    angles: Callable[[np.ndarray], Angles]


#: The 27 synthetic actions, in UTD-MHAD's class order (label = index). Each is a :class:`Motion`
#: with its name, the IMU's position (wrist or thigh), its duration and its joint angles.
#:
#: :meta hide-value:
MOTIONS: tuple[Motion, ...] = (
    Motion("right_arm_swipe_left", "wrist", 2.8, lambda s: _swipe(s, True)),
    Motion("right_arm_swipe_right", "wrist", 2.8, lambda s: _swipe(s, False)),
    Motion("right_hand_wave", "wrist", 3.6, _wave),
    Motion("left_hand_wave", "wrist", 3.6, lambda s: _mirror(_wave(s))),
    Motion("two_hand_clap", "wrist", 3.4, _clap),
    Motion("right_arm_throw", "wrist", 3.1, _throw),
    Motion("right_hand_circle_clockwise", "wrist", 4.2, lambda s: _circle(s, True)),
    Motion("right_hand_circle_counter_clockwise", "wrist", 4.2, lambda s: _circle(s, False)),
    Motion("right_punch", "wrist", 3.4, _punch),
    Motion("left_punch", "wrist", 3.4, lambda s: _mirror(_punch(s))),
    Motion("arm_curl_standing", "wrist", 4.5, _arm_curl),
    Motion("arm_curl_seated", "wrist", 4.5, lambda s: _seated(_arm_curl(s))),
    Motion("right_hand_knock", "wrist", 3.1, _knock),
    Motion("right_hand_catch", "wrist", 3.1, _catch),
    Motion("pick_up_and_throw", "wrist", 5.0, _pick_up_throw),
    Motion("tennis_forehand", "wrist", 3.4, _forehand),
    Motion("tennis_serve", "wrist", 3.9, _serve),
    Motion("two_hand_push", "wrist", 3.4, _push),
    Motion("bowling", "wrist", 3.9, _bowling),
    Motion("cross_arms", "wrist", 3.6, _cross_arms),
    Motion("right_hand_wave_seated", "wrist", 3.6, lambda s: _seated(_wave(s))),
    Motion("jogging_in_place", "thigh", 5.0, lambda s: _in_place(s, 45, 70, 25, 90, 5)),
    Motion("walking_in_place", "thigh", 5.3, lambda s: _in_place(s, 28, 40, 18, 20, 4)),
    Motion("sit_to_stand", "thigh", 3.6, lambda s: _sit(s, False)),
    Motion("stand_to_sit", "thigh", 3.6, lambda s: _sit(s, True)),
    Motion("forward_lunge_left_foot", "thigh", 4.2, _lunge_left_foot),
    Motion("squat", "thigh", 5.0, _squat),
)
CLASS_NAMES = [m.name for m in MOTIONS]

#: Disjoint pairs of class indices told apart by one cue (side, direction, posture or tempo),
#: each pair on the same sensor: the pairs that ``Difficulty.confusion`` draws together.
CONFUSABLE_PAIRS: tuple[tuple[int, int], ...] = (
    (0, 1),  # right arm swipe left / right: direction
    (2, 3),  # right / left hand wave: side
    (6, 7),  # circle clockwise / counter-clockwise: direction
    (8, 9),  # right / left punch: side
    (10, 11),  # arm curl standing / seated: posture
    (21, 22),  # jogging / walking in place: tempo and height of the steps
    (23, 24),  # sit to stand / stand to sit: direction
)


# The confusable pairs as chapter 1 groups them, by the one cue that tells the two classes apart
# (class names; CONFUSABLE_PAIRS above is the set the ``confusion`` control draws together).
PAIRS_BY_CUE: dict[str, tuple[tuple[str, str], ...]] = {
    "mirror": (("right_hand_wave", "left_hand_wave"), ("right_punch", "left_punch")),
    "reversed": (("right_arm_swipe_left", "right_arm_swipe_right"),
                 ("right_hand_circle_clockwise", "right_hand_circle_counter_clockwise"), ("sit_to_stand", "stand_to_sit")),
    "posture": (("arm_curl_standing", "arm_curl_seated"), ("right_hand_wave", "right_hand_wave_seated")),
}


@dataclass(frozen=True)
class Difficulty:
    r"""Knobs that make the synthetic task harder; the defaults give the standard data exactly.

    Attributes:
        confusion: in [0, 1]. Each :data:`CONFUSABLE_PAIRS` motion a becomes
            ``a + confusion / 2 * (b - a)`` (joint angles and duration), so the difference
            between the two classes of a pair shrinks to ``1 - confusion`` of the default's:
            0 (the default) changes nothing, 1 makes the two classes of a pair identical.
        imbalance: ≥ 1, the ratio of the largest to the smallest class. Class k keeps the
            first ``round(n_trials * r_k)`` trials (at least 1) of every subject, with
            :math:`r_k = \mathrm{imbalance}^{-\mathrm{rank}_k / (K - 1)}`, :math:`K` the number of classes
            and the ranks :math:`\mathrm{rank}_k \in \{0, \dots, K - 1\}` a permutation
            drawn from the seed (so a pair's two classes usually differ in size). 1 (the
            default) keeps every trial.
        nuisance: ≥ 0, a factor on the per-trial style drift of every joint angle (a random,
            label-free movement that both modalities see). 1 is the default drift, 0 none.
    """

    confusion: float = 0.0
    imbalance: float = 1.0
    nuisance: float = 1.0

    def __post_init__(self) -> None:
        checks = (
            ("confusion", 0.0 <= self.confusion <= 1.0, "a number in [0, 1]"),
            ("imbalance", np.isfinite(self.imbalance) and self.imbalance >= 1.0, "a finite number >= 1"),
            ("nuisance", np.isfinite(self.nuisance) and self.nuisance >= 0.0, "a finite number >= 0"),
        )
        for name, ok, expected in checks:
            if not ok:
                raise ValueError(f"Difficulty.{name} must be {expected}, got {getattr(self, name)!r}")


def _blend(a: Motion, b: Motion, weight: float) -> Motion:
    """Motion `a` moved `weight` of the way towards `b` (angles and duration)."""
    def angles(s: np.ndarray) -> Angles:
        own, other = a.angles(s), b.angles(s)
        zero = np.zeros_like(s)
        return {k: own.get(k, zero) + weight * (other.get(k, zero) - own.get(k, zero)) for k in {**own, **other}}

    return Motion(a.name, a.sensor, a.duration + weight * (b.duration - a.duration), angles)


def confusable_motions(confusion: float) -> tuple[Motion, ...]:
    """MOTIONS with each CONFUSABLE_PAIRS pair drawn together (see ``confusion`` of :class:`Difficulty`);
    MOTIONS itself for confusion 0."""
    if confusion == 0:
        return MOTIONS
    motions = list(MOTIONS)
    for i, j in CONFUSABLE_PAIRS:
        motions[i] = _blend(MOTIONS[i], MOTIONS[j], confusion / 2)
        motions[j] = _blend(MOTIONS[j], MOTIONS[i], confusion / 2)
    return tuple(motions)


def class_keep_fractions(imbalance: float, n_classes: int, seed: int) -> np.ndarray:
    """(n_classes,) fraction of trials each class keeps (see ``imbalance`` of :class:`Difficulty`)."""
    # Own stream, so the main generator draws exactly what it draws without imbalance.
    ranks = np.random.default_rng([seed, 1]).permutation(n_classes)
    return float(imbalance) ** (-ranks / max(n_classes - 1, 1))


# ---------------------------------------------------------------------------------------
# Subjects, trial plans and simulation
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Subject:
    """A simulated person and their sensor (drawn by :func:`make_subject`).

    Attributes:
        id: the subject's number.
        offsets: ``(20, 3)`` bone vectors in metres (body size and proportions).
        speed: how fast the person moves; a motion lasts its duration divided by it.
        amplitude: how far the person moves; scales every motion's joint angles.
        posture: ``(n_dof,)`` habitual offsets of the joint angles, in degrees (one per
            degree of freedom of the simulated body).
        style: degrees, the spread of each trial's slow style drift of the joint angles.
        skeleton_noise: metres, the standard deviation of the Kinect joint jitter.
        acc_noise: g, the accelerometer's noise standard deviation.
        gyro_noise: deg/s, the gyroscope's noise standard deviation.
        acc_bias: ``(3,)`` accelerometer bias in g.
        gyro_bias: ``(3,)`` gyroscope bias in deg/s.
        mount: ``(3, 3)`` rotation of the sensor relative to its nominal mounting.
        position: ``(3,)`` camera-space position of the hip centre at rest, in metres.
        yaw: degrees the person turns away from the camera (0 faces it).
    """

    id: int
    offsets: np.ndarray
    speed: float
    amplitude: float
    posture: np.ndarray
    style: float
    skeleton_noise: float
    acc_noise: float
    gyro_noise: float
    acc_bias: np.ndarray
    gyro_bias: np.ndarray
    mount: np.ndarray
    position: np.ndarray
    yaw: float


@dataclass(frozen=True)
class TrialPlan:
    """Everything random about one trial except the sensor and skeleton noise (drawn by
    :func:`plan_trial`).

    Times are in seconds from the start of the IMU recording; the skeleton stream starts at
    ``skeleton_start`` and runs at ``skeleton_rate`` frames/s (not aligned with the IMU frames).

    Attributes:
        label: the class of the trial's motion.
        subject: index of the trial's person in the subject list.
        trial: the trial's number for this subject and class, from 1.
        rest_before: seconds of rest before the motion starts.
        active: seconds the motion lasts (rest after it follows).
        imu_length: IMU samples of the whole recording, at :data:`IMU_RATE`.
        skeleton_rate: skeleton frames per second.
        skeleton_start: when the first skeleton frame is taken, in seconds.
        skeleton_length: skeleton frames of the recording.
        amplitude: the subject's amplitude, varied per trial; scales the motion's joint angles.
        warp: in ``(-1, 1)``, the time-warp strength of the motion (0: played evenly).
        style_amplitude: ``(n_dof,)`` degrees, the amplitude of each joint angle's style drift.
        style_frequency: ``(n_dof,)`` cycles per trial of each joint angle's style drift.
        style_phase: ``(n_dof,)`` radians, the phase of each joint angle's style drift.
        yaw: degrees, the total body yaw (the subject's, varied per trial).
        position: ``(3,)`` hip-centre rest position in camera space, in metres.
    """

    label: int
    subject: int
    trial: int
    rest_before: float
    active: float
    imu_length: int
    skeleton_rate: float
    skeleton_start: float
    skeleton_length: int
    amplitude: float
    warp: float
    style_amplitude: np.ndarray
    style_frequency: np.ndarray
    style_phase: np.ndarray
    yaw: float
    position: np.ndarray


@dataclass
class Recording:
    """Noise-free or noisy output of one simulated trial.

    skeleton: (20, 3, T_s) metres; imu: (T_i, 6) [acc g, gyro deg/s];
    skeleton_times (T_s,), imu_times (T_i,) seconds; sensor_position (T_i, 3) metres and
    sensor_rotation (T_i, 3, 3) (sensor axes → camera axes) at the IMU times.
    """

    skeleton: np.ndarray
    imu: np.ndarray
    skeleton_times: np.ndarray
    imu_times: np.ndarray
    sensor_position: np.ndarray
    sensor_rotation: np.ndarray


def _random_rotation(rng: np.random.Generator, max_degrees: float) -> np.ndarray:
    """A rotation by up to `max_degrees` about a uniformly random axis (Rodrigues)."""
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    angle = np.radians(rng.uniform(0, max_degrees))
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def make_subject(rng: np.random.Generator, subject_id: int) -> Subject:
    """Draw one subject: body size and proportions, habits, sensor quality and placement."""
    height = rng.uniform(0.9, 1.1)
    offsets = _REST_OFFSETS * height
    for joints in _SEGMENTS.values():
        offsets[joints] *= rng.uniform(0.93, 1.07)
    return Subject(
        id=subject_id,
        offsets=offsets,
        speed=rng.uniform(0.8, 1.25),
        amplitude=rng.uniform(0.85, 1.15),
        posture=rng.normal(0, 4.0, size=len(DOFS)) * _STYLE_WEIGHT,
        style=rng.uniform(4.0, 9.0),
        skeleton_noise=rng.uniform(0.008, 0.02),
        acc_noise=rng.uniform(0.01, 0.03),
        gyro_noise=rng.uniform(1.0, 3.0),
        acc_bias=rng.normal(0, 0.02, size=3),
        gyro_bias=rng.normal(0, 1.5, size=3),
        mount=_random_rotation(rng, MAX_MOUNT_ROTATION),
        position=np.array([rng.uniform(-0.15, 0.15), rng.uniform(-0.15, -0.05), rng.uniform(2.4, 2.6)]),
        # Subjects face the camera from different angles, so a skeleton's raw coordinates carry
        # a large nuisance that the body-mounted IMU does not see.
        yaw=rng.uniform(-35, 35),
    )


def plan_trial(
    rng: np.random.Generator, label: int, subject: Subject, subject_index: int, trial: int,
    *, motions: Sequence[Motion] = MOTIONS, nuisance: float = 1.0,
) -> TrialPlan:
    """Draw the timing, amplitude and style of one trial of class `label` (`motions`: the
    class motions in use; `nuisance` scales the style drift, see :class:`Difficulty`)."""
    motion = motions[label]
    active = np.clip(motion.duration / subject.speed * rng.uniform(0.88, 1.12), 1.5, 5.4)
    rest_before, rest_after = rng.uniform(0.25, 0.55, size=2)
    duration = rest_before + active + rest_after
    imu_length = int(round(duration * IMU_RATE))
    skeleton_rate = rng.uniform(18.0, 24.0)
    skeleton_start = rng.uniform(0.0, 0.12)
    skeleton_end = duration - rng.uniform(0.0, 0.12)
    n_dof = len(DOFS)
    return TrialPlan(
        label=label,
        subject=subject_index,
        trial=trial,
        rest_before=float(rest_before),
        active=float(active),
        imu_length=imu_length,
        skeleton_rate=float(skeleton_rate),
        skeleton_start=float(skeleton_start),
        skeleton_length=int((skeleton_end - skeleton_start) * skeleton_rate) + 1,
        amplitude=float(subject.amplitude * rng.uniform(0.92, 1.08)),
        warp=float(rng.uniform(-0.3, 0.3)),
        style_amplitude=rng.normal(0, subject.style, size=n_dof) * _STYLE_WEIGHT * nuisance,
        style_frequency=rng.uniform(0.4, 1.5, size=n_dof),
        style_phase=rng.uniform(0, 2 * np.pi, size=n_dof),
        yaw=float(subject.yaw + rng.uniform(-10, 10)),
        position=subject.position + rng.normal(0, 0.03, size=3) * np.array([1, 0, 1]),
    )


# Sensor axes (columns: x, y, z) in the bone frame: x along the limb (down at rest),
# z out of the lateral side, y completing a right-handed frame.
_NOMINAL_MOUNT = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])


def _gather(items: list, attr: str, which: np.ndarray) -> np.ndarray:
    """Attribute `attr` of each item, stacked, then indexed per evaluation point by `which`."""
    return np.stack([np.asarray(getattr(item, attr)) for item in items])[which]


def _trial_angles(
    motion: Motion, plans: list[TrialPlan], subjects: list[Subject], which: np.ndarray, times: np.ndarray
) -> np.ndarray:
    """DOF angles (N, n_dof) at `times` (N,) of trial `which` (N,) (all of class `motion`)."""
    u = np.clip((times - _gather(plans, "rest_before", which)) / _gather(plans, "active", which), 0.0, 1.0)
    # Monotone time warp (derivative 1 + warp cos(pi u) > 0). Motions are flat, with zero
    # first and second derivatives, near s = 0 and 1, so the body rests before and after.
    s = u + _gather(plans, "warp", which) * np.sin(np.pi * u) / np.pi
    angles = _REST_ANGLES + _gather([subjects[p.subject] for p in plans], "posture", which)
    amplitude = _gather(plans, "amplitude", which)
    for name, delta in motion.angles(s).items():
        angles[:, _D[name]] += amplitude * delta
    # Slow style drift of every DOF, eased in s so that it too starts and stops smoothly.
    wobble = 2 * np.pi * _gather(plans, "style_frequency", which) * _ease(s)[:, None]
    return angles + _gather(plans, "style_amplitude", which) * np.sin(wobble + _gather(plans, "style_phase", which))


# Joints the IMU needs: the right forearm and thigh (sensors) and both ankles (grounding).
_IMU_JOINTS = frozenset({2, 1, 8, 9, 10, 12, 13, 14, 16, 17, 18})


def _body_in_camera(
    motion: Motion, plans: list[TrialPlan], subjects: list[Subject], which: np.ndarray, times: np.ndarray,
    joints: frozenset[int],
) -> tuple[np.ndarray, dict[int, np.ndarray], np.ndarray]:
    """Camera-space joints (N, 20, 3) with the feet on the floor, body-frame bone rotations
    {joint: (N, 3, 3)} and the body-to-camera rotations (N, 3, 3)."""
    offsets = _gather([subjects[p.subject] for p in plans], "offsets", which)
    positions, bones = _forward_kinematics(_trial_angles(motion, plans, subjects, which, times), offsets, joints)
    # Keep the lower ankle at its rest height and the ankles' mid-point at its rest depth,
    # so sitting and squatting move the body down and back instead of lifting the feet.
    rest_ankle = offsets[:, [16, 17, 18]].sum(axis=1)  # hip_center -> right ankle at rest
    shift = np.zeros((len(times), 3))
    shift[:, 1] = rest_ankle[:, 1] - _softmin(positions[:, 14, 1], positions[:, 18, 1])
    shift[:, 2] = rest_ankle[:, 2] - 0.5 * (positions[:, 14, 2] + positions[:, 18, 2])
    yaw = _rot(1, _gather(plans, "yaw", which))
    origin = _gather(plans, "position", which)
    camera = (positions + shift[:, None, :]) @ np.transpose(yaw, (0, 2, 1)) + origin[:, None, :]
    return camera, bones, yaw


def _sensor_pose(
    motion: Motion, subjects: list[Subject], plans: list[TrialPlan], which: np.ndarray,
    positions: np.ndarray, bones: dict[int, np.ndarray], yaw: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Sensor position (N, 3) and orientation (N, 3, 3) in camera space."""
    own = [subjects[p.subject] for p in plans]
    mounts = _NOMINAL_MOUNT @ _gather(own, "mount", which)
    if motion.sensor == "wrist":
        return positions[:, 10], yaw @ bones[10] @ mounts
    # Half-way down the right thigh, 7 cm out on its lateral side.
    local = 0.5 * _gather(own, "offsets", which)[:, 17] + np.array([0.07, 0.0, 0.0])
    thigh = yaw @ bones[17]
    return positions[:, 16] + (thigh @ local[..., None])[..., 0], thigh @ mounts


def _vee(skew: np.ndarray) -> np.ndarray:
    """(N, 3) axial vectors of (N, 3, 3) (nearly) skew-symmetric matrices."""
    return 0.5 * np.stack(
        [skew[:, 2, 1] - skew[:, 1, 2], skew[:, 0, 2] - skew[:, 2, 0], skew[:, 1, 0] - skew[:, 0, 1]], axis=1
    )


def _grid(
    plans: list[TrialPlan], times_of: Callable[[TrialPlan], np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All trials' evaluation times concatenated, the trial of each, and each trial's start."""
    chunks = [times_of(plan) for plan in plans]
    which = np.repeat(np.arange(len(plans)), [len(c) for c in chunks])
    starts = np.cumsum([0] + [len(c) for c in chunks])
    return np.concatenate(chunks), which, starts


def simulate(
    plans: list[TrialPlan], subjects: list[Subject], *, motions: Sequence[Motion] = MOTIONS
) -> list[Recording]:
    """Noise-free recordings of `plans` (all of the same class), vectorised over trials."""
    labels = {p.label for p in plans}
    if len(labels) != 1:
        raise ValueError(f"simulate() takes trials of one class at a time, got classes {sorted(labels)}")
    motion = motions[labels.pop()]
    h = _FD_STEP

    def skeleton_times(plan: TrialPlan) -> np.ndarray:
        return plan.skeleton_start + np.arange(plan.skeleton_length) / plan.skeleton_rate

    def imu_times(plan: TrialPlan) -> np.ndarray:
        t = np.arange(plan.imu_length) / IMU_RATE
        return np.concatenate([t - h, t, t + h])

    times, which, skel_starts = _grid(plans, skeleton_times)
    skeleton = _body_in_camera(motion, plans, subjects, which, times, frozenset(range(20)))[0]
    times, which, imu_starts = _grid(plans, imu_times)
    positions, bones, yaw = _body_in_camera(motion, plans, subjects, which, times, _IMU_JOINTS)
    sensor_pos, sensor_rot = _sensor_pose(motion, subjects, plans, which, positions, bones, yaw)

    recordings = []
    for k, plan in enumerate(plans):
        n = plan.imu_length
        pos = sensor_pos[imu_starts[k]:imu_starts[k + 1]].reshape(3, n, 3)  # (t - h, t, t + h)
        rot = sensor_rot[imu_starts[k]:imu_starts[k + 1]].reshape(3, n, 3, 3)
        accel = (pos[2] - 2 * pos[1] + pos[0]) / h**2
        specific_force = accel + np.array([0.0, GRAVITY, 0.0])  # a - g, with g pointing down
        acc = (np.transpose(rot[1], (0, 2, 1)) @ specific_force[..., None])[..., 0] / GRAVITY
        gyro = np.degrees(_vee(np.transpose(rot[1], (0, 2, 1)) @ (rot[2] - rot[0]) / (2 * h)))
        recordings.append(Recording(
            skeleton=skeleton[skel_starts[k]:skel_starts[k + 1]].transpose(1, 2, 0),
            imu=np.concatenate([acc, gyro], axis=1),
            skeleton_times=skeleton_times(plan),
            imu_times=np.arange(n) / IMU_RATE,
            sensor_position=pos[1],
            sensor_rotation=rot[1],
        ))
    return recordings


def _add_noise(recording: Recording, subject: Subject, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Kinect joint jitter (hands and wrists twice as noisy) and IMU white noise + bias."""
    skeleton = recording.skeleton
    joint_scale = np.ones(20)
    joint_scale[[6, 7, 10, 11, 14, 15, 18, 19]] = 2.0
    skeleton = skeleton + rng.normal(size=skeleton.shape) * subject.skeleton_noise * joint_scale[:, None, None]
    n = recording.imu.shape[0]
    # The bias drifts a little between trials around the subject's sensor bias.
    bias = np.r_[subject.acc_bias, subject.gyro_bias] + rng.normal(size=6) * np.r_[[0.005] * 3, [0.3] * 3]
    noise = rng.normal(size=(n, 6)) * np.r_[[subject.acc_noise] * 3, [subject.gyro_noise] * 3]
    imu = recording.imu + bias + noise
    return skeleton, imu


def _draw_plans(
    rng: np.random.Generator, n_subjects: int, n_trials: int, seed: int, difficulty: Difficulty
) -> tuple[tuple[Motion, ...], list[Subject], list[list[TrialPlan]]]:
    """The motions, subjects and per-class trial plans of :func:`generate_synthetic` (drawn from
    `rng` first, before any noise, so both callers draw the same plans)."""
    if n_subjects < 1 or n_trials < 1:
        raise ValueError(f"need n_subjects >= 1 and n_trials >= 1, got {n_subjects}, {n_trials}")
    motions = confusable_motions(difficulty.confusion)
    keep = np.maximum(1, np.round(n_trials * class_keep_fractions(difficulty.imbalance, len(motions), seed)))
    subjects = [make_subject(rng, i + 1) for i in range(n_subjects)]
    by_class = []
    for label in range(len(motions)):
        plans = [
            plan_trial(rng, label, subjects[s], s, t, motions=motions, nuisance=difficulty.nuisance)
            for s in range(n_subjects) for t in range(1, n_trials + 1)
            if (label + 1, s + 1, t) not in KNOWN_ABSENT
        ]
        # Every plan is drawn first, so dropping trials leaves the other trials' draws alone.
        by_class.append([p for p in plans if p.trial <= keep[label]])
    return motions, subjects, by_class


def trial_plans(
    *, n_subjects: int = 8, n_trials: int = 4, seed: int = 0, difficulty: Difficulty = Difficulty(),
) -> list[TrialPlan]:
    """The plans (timing, skeleton frame rate, style, ...) of the trials that
    :func:`generate_synthetic` with the same arguments simulates, in the order of its samples."""
    by_class = _draw_plans(np.random.default_rng(seed), n_subjects, n_trials, seed, difficulty)[2]
    return [plan for plans in by_class for plan in plans]


def generate_synthetic(
    *, n_subjects: int = 8, n_trials: int = 4, seed: int = 0, noise: bool = True,
    difficulty: Difficulty = Difficulty(),
) -> RawDataset:
    """A UTD-MHAD-sized paired dataset: 27 classes x n_subjects x n_trials, deterministic in `seed`.

    Like the UTD-MHAD release, the three trials a8_s1_t4, a23_s6_t4 and a27_s8_t4 are left
    out (when in range), so the defaults give 861 pairs. `noise=False` gives the exact
    kinematics (no sensor noise, bias or skeleton jitter) for physics checks. `difficulty`
    turns the controls of :class:`Difficulty` (default: none, the standard data).

    Args:
        n_subjects: subjects (UTD-MHAD has 8).
        n_trials: trials per subject and class (UTD-MHAD has 4).
        seed: the seed of every random draw.
        noise: sensor noise, bias and skeleton jitter on (``False``: exact kinematics).
        difficulty: the task's difficulty controls.
    """
    rng = np.random.default_rng(seed)
    motions, subjects, by_class = _draw_plans(rng, n_subjects, n_trials, seed, difficulty)
    samples = []
    for plans in by_class:
        for plan, recording in zip(plans, simulate(plans, subjects, motions=motions)):
            subject = subjects[plan.subject]
            skeleton, imu = _add_noise(recording, subject, rng) if noise else (recording.skeleton, recording.imu)
            samples.append(Sample(
                skeleton=skeleton.astype(np.float32), imu=imu.astype(np.float32), label=plan.label,
                subject=subject.id, trial=plan.trial, source="synthetic",
            ))
    return RawDataset(
        name="synthetic",
        samples=samples,
        class_names=list(CLASS_NAMES),
        skeleton_layout="kinect_v1",
        imu_channels=list(UTD_MHAD_IMU_CHANNELS),
    )


def write_utd_mhad_layout(raw: RawDataset, root: str | Path) -> None:
    """Write `raw` (Kinect v1, 6-channel IMU) as the UTD-MHAD release does: one MATLAB 5 file
    per trial and modality, `Inertial/a{A}_s{S}_t{T}_inertial.mat` (`d_iner`, (T_i, 6)) and
    `Skeleton/a{A}_s{S}_t{T}_skeleton.mat` (`d_skel`, (20, 3, T_s)), float64, A = label + 1."""
    if raw.skeleton_layout != "kinect_v1" or len(raw.imu_channels) != 6:
        raise ValueError(f"UTD-MHAD layout needs Kinect v1 skeletons and 6 IMU channels, got {raw.name!r}")
    root = Path(root)
    for kind in ("Inertial", "Skeleton"):
        (root / kind).mkdir(parents=True, exist_ok=True)
    for sample in raw.samples:
        key = (sample.label + 1, sample.subject, sample.trial)
        scipy.io.savemat(inertial_path(root, *key), {"d_iner": sample.imu.astype(np.float64)}, format="5")
        scipy.io.savemat(skeleton_path(root, *key), {"d_skel": sample.skeleton.astype(np.float64)}, format="5")

