from setuptools import setup

setup(
    name='semformer',
    version='0.1.0',
    description='SemFormer and weakly supervised semantic segmentation '
    'from image-level labels for MMSegmentation 1.x',
    packages=['semformer'],
    package_dir={'semformer': 'projects/semformer'},
    python_requires='>=3.9',
    # torch, torchvision and mmcv (compiled ops) must be installed to match each other
    # and the machine; tools/setup_env.sh does that. These are the pure-Python rest.
    install_requires=[
        'mmengine>=0.10.5,<0.11', 'mmsegmentation>=1.2.2,<1.3', 'mmpretrain>=1.2.0,<1.3',
        'ftfy', 'regex', 'tqdm'
    ],
)
