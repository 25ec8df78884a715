"""llama-cpp-python loads libllama.so with ctypes from a path computed at run time
(`<package>/lib`), so PyInstaller's import analysis never sees it: collect the package's
shared libraries into the same relative folder."""

from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs

binaries = collect_dynamic_libs("llama_cpp", search_patterns=["*.so", "*.so.*", "*.dylib",
                                                               "*.dll"])
datas = collect_data_files("llama_cpp")
