/*
 * One entry point for recovered views (include/husk/recover.h): callers such as `husk ls
 * --deleted` need not know which file system they hold.
 */
#include <string.h>

#include "husk/ext4.h"
#include "husk/recover.h"

int husk_recovered_view(husk_fs *live, husk_diag *diag, husk_fs **view, husk_err *err)
{
    if (!live || !view)
        return husk_err_set(err, HUSK_E_ARG, "no file system");
    *view = NULL;
    if (strcmp(live->fstype, "xfs") == 0)
        return husk_xfs_recovered_view(live, diag, view, err);
    if (husk_fs_is_ext4(live))
        return husk_ext4_recovered_view(live, diag, view, err);
    return husk_err_set(err, HUSK_E_UNSUPPORTED, "no recovered view of %s file systems",
                        live->fstype);
}
