"""Line-aware documents, below every layer that reads them: the safe YAML loader with size,
depth and alias limits (`yamlload`), and overlays of its mappings (`merge`)."""
