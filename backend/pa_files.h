/*
 * pa_files.h - Panasonic: its files, their names, and its vendor (see pa_files.c for the
 * layering rule).
 */
#ifndef PROVFS_PA_FILES_H
#define PROVFS_PA_FILES_H

#include <stdbool.h>

#include "backend/buf.h"
#include "backend/files.h"
#include "backend/keys.h"
#include "backend/pa_table.h"
#include "backend/tree.h"
#include "backend/vendor.h"

/* The master layer: text dialect, and UTG XML (only where a plain UTG model needs one). */
#define PA_MASTER_NAME     "ConfigCom.cfg"
#define PA_MASTER_UTG_NAME "ConfigCom-utg.cfg"

/* The kinds of Panasonic files (struct file_ref.kind with vendor_panasonic). */
enum pa_kind {
	PA_STD = 1,     /* Config<MAC>.cfg: standard layer (with the key while pending) */
	PA_STD_ENC,     /* Config<MAC>.enc */
	PA_PRODUCT,     /* Config<MODEL>.cfg: product layer */
	PA_PRODUCT_ENC, /* Config<MODEL>-<MAC>.enc */
	PA_MASTER,      /* ConfigCom.cfg: master layer, text */
	PA_MASTER_UTG,  /* ConfigCom-utg.cfg: master layer, UTG XML */
	PA_MASTER_ENC,  /* ConfigCom-<MAC>.enc */
	PA_ENTRY,       /* <MODEL>.cfg: the three file paths, for DHCP option 66 */
	PA__KINDS,
};

extern const struct vendor vendor_panasonic;

/* The model's dialect: as set, else utg-xml for KX-UTG names and text for the others. */
enum dialect pa_dialect(const struct model *m);

/* The AES size of the model's keys (option key_length: 128, 192 or 256). */
unsigned pa_key_bits(const struct model *m);

/* Any Panasonic kind. Returns 0, -ENOMEM, -EIO, -ENOKEY (no key source) or -errno. */
int render_pa_file(const struct tree *t, const struct file_ref *ref, bool plain, struct buf *out);

/* Checks of Panasonic values and rendered files (pa_check.c). */
unsigned pa_model_use(const struct model *m);
void pa_check_model(const struct inventory *inv, struct diag *d, const struct model *m);
void pa_check_level(const struct inventory *inv, struct diag *d, const struct level *lv,
                    unsigned use, bool generic);
int pa_check_tree(struct tree *t, struct diag *d);

#endif
