{
  # The numeric engine: libtorch behind N-API. LIBTORCH_DIR points the build at another libtorch
  # (e.g. an official CUDA build: its include/ and lib/); unset, Debian's libtorch-dev is used.
  "variables": {
    "libtorch_dir%": "<!(node -p \"process.env.LIBTORCH_DIR || ''\")",
    "libtorch_cuda%": "<!(node -p \"require('fs').existsSync((process.env.LIBTORCH_DIR || '') + '/lib/libtorch_cuda.so') ? '-ltorch_cuda' : ''\")"
  },
  "targets": [
    {
      "target_name": "r2end_engine",
      "sources": [
        "src/addon.cc",
        "src/marshal.cc",
        "src/model.cc",
        "src/model_wrap.cc",
        "src/trainer.cc",
        "src/trainer_wrap.cc",
        "src/use_lite.cc",
        "src/bert.cc",
        "src/projection.cc",
        "src/sequential.cc",
        "src/sasrec.cc",
        "src/gru4rec.cc",
        "src/topk.cc",
        "src/item_matrix_wrap.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++14", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O3", "-Wno-unused-parameter"],
      "conditions": [
        ["libtorch_dir==''", {
          "include_dirs": ["/usr/include", "/usr/include/torch/csrc/api/include"],
          "libraries": ["-ltorch", "-ltorch_cpu", "-lc10"]
        }, {
          "include_dirs": ["<(libtorch_dir)/include", "<(libtorch_dir)/include/torch/csrc/api/include"],
          "libraries": ["-L<(libtorch_dir)/lib", "-Wl,-rpath,<(libtorch_dir)/lib", "-Wl,--no-as-needed", "-ltorch", "-ltorch_cpu", "-lc10", "<(libtorch_cuda)", "-Wl,--as-needed"]
        }]
      ]
    }
  ]
}
