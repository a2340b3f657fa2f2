{
  "targets": [
    {
      "target_name": "sluice_relay",
      "sources": ["addon.c", "forward.c", "streams.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"]
    }
  ]
}
