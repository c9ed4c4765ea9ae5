"""mmhar-lite: multimodal contrastive learning with hard negatives for HAR."""
__version__ = "0.1.0"
