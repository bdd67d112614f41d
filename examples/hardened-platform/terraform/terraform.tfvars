project        = "acme-ml-prod"
build_attestor = "projects/acme-ml-prod/attestors/built-by-ci"
project_number         = "123456789012"
inference_image_digest = "sha256:4f2d8c0a9b1e7c3d5f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e"
