"""The text recognizer reads its settings (config.yaml) and its three ONNX models from files
beside its code; import analysis sees only the code, so without this a frozen app's OCR
failed on every scan."""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("rapidocr_onnxruntime", include_py_files=False)
