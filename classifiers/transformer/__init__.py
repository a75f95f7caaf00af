"""The multilingual transformer: bootstrap, training, export, serving and explanation.

Training-time modules (``bootstrap``, ``train``, ``export``) import torch and
transformers; the serving modules (``onnx_scorer``, ``registry``, ``explain``) need only
onnxruntime, tokenizers and numpy.
"""
