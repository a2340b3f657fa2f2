/* The batched UDP reader (sip-recv.c), registered on the sluice_sip addon's exports by sip-send.c's init. */
#ifndef SLUICE_SIP_RECV_H
#define SLUICE_SIP_RECV_H
#include <node_api.h>
void sip_recv_register(napi_env env, napi_value exports);
#endif
