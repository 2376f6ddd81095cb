/* hyp_counter: the commands of its hypercall (x1), shared by the EL2 code and
 * the tests. x2 is the argument; the result comes back in x1. */
#ifndef HYP_COUNTER_H_
#define HYP_COUNTER_H_

#define HYP_COUNTER_ADD 0        /* total += x2; x1 = total; traces hyp_counter_add */
#define HYP_COUNTER_GET 1        /* x1 = total */
#define HYP_COUNTER_SET_WINDOW 2 /* host permission faults in [x2, x3) are resolved */
#define HYP_COUNTER_FAULTS 3     /* x1 = faults resolved, x2 = faults refused */
#define HYP_COUNTER_EXPECT 4     /* BUG_ON(total != x2): the module's own invariant check */

#endif
