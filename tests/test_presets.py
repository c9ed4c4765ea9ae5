"""mmhar_lite.presets: the Table 1 configurations, their overrides and epoch scale."""

from mmhar_lite import presets


def test_table1_presets():
    c = presets.pretrain_config("utd-mhad", "simclr", "skeleton")
    assert (c.batch_size, c.lr, c.temperature, c.epochs, c.augmentation) == (64, 0.005, 0.5, 150, "utd-mhad")
    c = presets.pretrain_config("utd-mhad", "cmc-hnl")
    assert (c.batch_size, c.lr, c.temperature, c.tau_plus, c.beta) == (64, 0.001, 0.1, 0.037, 1.0)
    c = presets.pretrain_config("utd-mhad", "cmc-debiased")
    assert (c.tau_plus, c.beta) == (0.037, 0.0)
    c = presets.pretrain_config("mmact-xsub", "cmc-hnl")
    assert (c.batch_size, c.temperature, c.tau_plus, c.beta, c.augmentation) == (128, 0.5, 0.027, 1.5, "mmact")
    c = presets.pretrain_config("mmact-xsession", "simclr-hnl", "imu")
    assert (c.batch_size, c.temperature, c.beta) == (64, 0.4, 0.5)
    c = presets.pretrain_config("mmact-xsession", "simclr", "skeleton")
    assert c.temperature == 0.5
    # synthetic: UTD-MHAD's Table 1 with tau_plus the class prior of the data
    c = presets.pretrain_config("synthetic", "cmc-hnl", n_classes=27)
    assert (c.temperature, c.beta, c.tau_plus) == (0.1, 1.0, round(1 / 27, 4))
    f = presets.finetune_config("utd-mhad", "imu")
    assert (f.modality, f.epochs, f.batch_size, f.lr) == ("imu", 100, 64, 0.001)


def test_overrides_and_epoch_scale():
    c = presets.pretrain_config("utd-mhad", "cmc-hnl", epochs_scale=0.1, beta=2.0, size="lite", seed=5)
    assert (c.epochs, c.beta, c.size, c.seed) == (15, 2.0, "lite", 5)
    assert presets.pretrain_config("utd-mhad", "cmc", epochs_scale=1e-6).epochs == 1
    assert presets.finetune_config("utd-mhad", epochs_scale=0.5).epochs == 50


def test_the_public_simclr_preset_changes_only_simclr_on_skeletons():
    # every (method, modality) a run can ask for: only SimCLR on skeletons differs from the paper's
    tuned, paper = "utd-mhad-public-simclr", "utd-mhad"
    for method, modalities in presets.training.METHOD_MODALITIES.items():
        for modality in modalities:
            a = presets.pretrain_config(tuned, method, modality)
            b = presets.pretrain_config(paper, method, modality)
            if (method, modality) == ("simclr", "skeleton"):
                assert (a.batch_size, a.lr, a.epochs) == (32, 1e-3, 300)
                assert (b.batch_size, b.lr, b.epochs) == (64, 5e-3, 150)
                assert (a.temperature, a.augmentation) == (b.temperature, b.augmentation)
            else:
                assert a == b, (method, modality)
    # the epoch scale applies to a row's own epochs
    assert presets.pretrain_config(tuned, "simclr", "skeleton", epochs_scale=0.1).epochs == 30
    assert presets.finetune_config(tuned, "skeleton") == presets.finetune_config(paper, "skeleton")


def test_the_public_code_numbers_name_rows_of_table_2():
    # a mistyped key would silently drop the number from every page that looks it up
    assert set(presets.PUBLIC_CODE_UTD_MHAD) <= set(presets.TABLE2_ROWS)
    assert all(50 < v < 100 for v in presets.PUBLIC_CODE_UTD_MHAD.values())
    # the rows that have both: the public code is not the paper
    shared = set(presets.PUBLIC_CODE_UTD_MHAD) & set(presets.PAPER_RESULTS)
    assert len(shared) == 7
    assert any(presets.PUBLIC_CODE_UTD_MHAD[k] != presets.PAPER_RESULTS[k]["utd-mhad"]["accuracy"] for k in shared)
