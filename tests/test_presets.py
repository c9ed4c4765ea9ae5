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
