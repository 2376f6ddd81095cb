/* A vendor header, found through pkvm_add_module(INCLUDE_DIRS). */
#define OPTIONS_VENDOR_MAGIC 0x500
