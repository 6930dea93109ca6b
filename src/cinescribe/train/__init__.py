"""train stage: Stage-I CLIP-AD adaptation and Stage-II AD-model training from one YAML config.

``cinescribe train CONFIG.yaml`` runs :func:`train_from_config`; the loop (:class:`Trainer`) is
shared by both stages and resumes exactly from its checkpoints.
"""

from .config import TrainConfig, load_config
from .loop import Trainer
from .run import build_trainer, train_from_config
from .stage1 import FrameAdapter
from .stage2 import Generated, Stage2Task

__all__ = ["FrameAdapter", "Generated", "Stage2Task", "TrainConfig", "Trainer", "build_trainer", "load_config",
           "train_from_config"]
