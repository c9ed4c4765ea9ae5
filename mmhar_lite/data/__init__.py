"""Data layer: synthetic generator, UTD-MHAD and MMAct loaders, preprocessing, splits.

Public API (see each module for details): :class:`~mmhar_lite.data.base.Sample`,
:class:`~mmhar_lite.data.base.RawDataset`, :class:`~mmhar_lite.data.base.DatasetError`,
:func:`~mmhar_lite.data.synthetic.generate_synthetic`,
:func:`~mmhar_lite.data.synthetic.write_utd_mhad_layout`,
:func:`~mmhar_lite.data.utd_mhad.load_utd_mhad`, :func:`~mmhar_lite.data.mmact.load_mmact`,
:func:`~mmhar_lite.data.mmact.write_mmact_layout`, :func:`~mmhar_lite.data.catalog.load_dataset`,
:func:`~mmhar_lite.data.catalog.summarize_dataset`, :func:`~mmhar_lite.data.catalog.format_summary`,
:func:`~mmhar_lite.data.datasets.prepare`, :class:`~mmhar_lite.data.datasets.ArrayData`, the split
functions, :func:`~mmhar_lite.data.datasets.stratified_subset` and
:class:`~mmhar_lite.data.datasets.PairedDataset`; :data:`~mmhar_lite.data.cases.INPUT_CASES` and
:func:`~mmhar_lite.data.cases.cases_markdown`: what the loaders accept, skip and reject
(:mod:`mmhar_lite.data.cases`).
"""
from mmhar_lite.data.base import (
    COCO17_JOINTS,
    KINECT_V1_JOINTS,
    SKELETON_EDGES,
    DatasetError,
    RawDataset,
    Sample,
)
from mmhar_lite.data.cases import INPUT_CASES, cases_markdown
from mmhar_lite.data.catalog import DATASETS, format_summary, load_dataset, summarize_dataset
from mmhar_lite.data.datasets import (
    ArrayData,
    PairedDataset,
    Split,
    apply_imu_standardizer,
    default_split,
    fit_imu_standardizer,
    mmact_cross_session_split,
    mmact_cross_subject_split,
    prepare,
    protocol_split,
    stratified_subset,
    utd_cross_subject_split,
)
from mmhar_lite.data.mmact import MMACT_ACTIONS, load_mmact, write_mmact_layout
from mmhar_lite.data.synthetic import CLASS_NAMES as SYNTHETIC_CLASS_NAMES
from mmhar_lite.data.synthetic import generate_synthetic, write_utd_mhad_layout
from mmhar_lite.data.utd_mhad import UTD_MHAD_ACTIONS, load_utd_mhad

__all__ = [
    "COCO17_JOINTS", "KINECT_V1_JOINTS", "SKELETON_EDGES", "DatasetError", "RawDataset", "Sample",
    "INPUT_CASES", "cases_markdown",
    "DATASETS", "format_summary", "load_dataset", "summarize_dataset",
    "ArrayData", "PairedDataset", "Split", "apply_imu_standardizer", "default_split",
    "fit_imu_standardizer", "mmact_cross_session_split", "mmact_cross_subject_split", "prepare",
    "protocol_split", "stratified_subset", "utd_cross_subject_split",
    "MMACT_ACTIONS", "load_mmact", "write_mmact_layout",
    "SYNTHETIC_CLASS_NAMES", "generate_synthetic", "write_utd_mhad_layout",
    "UTD_MHAD_ACTIONS", "load_utd_mhad",
]
