/* provider/consumer: one module's EL2 code calling EL2 functions another
 * module exports. */
#ifndef PROVIDER_H
#define PROVIDER_H

/* provider's hypercall: x1 = command; consumer's likewise. */
#define PV_CALLS 1   /* x1 = how often provider_mix ran */
#define PV_MIX 2     /* x1 = provider_mix(x2), called at EL2 by provider itself */
#define CS_MIX 1     /* consumer: x1 = provider_mix(x2), a call into the provider's EL2 image */
#define CS_PARAM 2   /* consumer: x1 = consumer_param, an EL2 global EL1 set before load */
#define CS_SUM 3     /* consumer: x1 = provider_add(x2, x3) */

#define PROVIDER_SALT 0x1000u
#define CONSUMER_PARAM 0xc0ffee

#endif
