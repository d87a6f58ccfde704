/*
 * shared.c - provctl rekey and status on the shared state in etcd (-s etcd://...,
 * state/shared.h): the epoch and delivery of each device as the replicas share them. Never a
 * key: etcd holds none, and these commands derive none.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backend/files.h"
#include "backend/vendor.h"
#include "inventory/diag.h"
#include "inventory/inventory.h"
#include "inventory/mac.h"
#include "provctl/provctl.h"
#include "state/shared.h"

static const char *url_message(int r, const char *why)
{
	return r == -EAGAIN   ? "etcd is unreachable or has no quorum"
	       : r == -EINVAL ? why
	                      : strerror(-r);
}

int cmd_shared_rekey(const char *url, const char *path, const char *mac_arg, bool factory_reset)
{
	const struct keys none = { { -1, NULL }, NULL, NULL };
	struct tree *t = load(&none, path);
	const struct device *dev = t ? device_arg(t, mac_arg) : NULL;
	char mac[MAC_STRLEN + 1], why[256] = "", carrier[FILE_NAME_MAX + 1];
	uint32_t epoch;
	int r;

	if (dev == NULL) {
		tree_free(t);
		return EXIT_PROBLEM;
	}
	mac_format(dev->mac, true, mac);
	if (!vendor_encrypted(dev->model)) {
		fprintf(stderr, "provctl: %s (%s) has no encrypted provisioning\n", mac,
		        dev->model->name);
		tree_free(t);
		return EXIT_PROBLEM;
	}
	if (vendor_of(dev->model)->rekey_needs_factory_reset && !factory_reset) {
		fprintf(stderr,
		        "provctl: %s (%s): a %s phone that holds its key asks only for its "
		        "encrypted file, which a new key would make unreadable to it; rekey with "
		        "--factory-reset and reset the phone to factory settings\n",
		        mac, dev->model->name, vendor_of(dev->model)->label);
		tree_free(t);
		return EXIT_PROBLEM;
	}
	r = shared_rekey(url, dev->mac, vendor_of(dev->model)->schema.name,
	                 vendor_key_bits(dev->model), &epoch, why, sizeof(why));
	if (r == -EAGAIN || r == -ETIMEDOUT) {
		fprintf(stderr, "provctl: %s: %s: no new epoch while etcd is away\n", mac,
		        r == -ETIMEDOUT ? "etcd did not answer in time (the rekey may be recorded: "
		                          "see provctl status)"
		                        : url_message(r, why));
	} else if (r == -EBADMSG) {
		fprintf(stderr,
		        "provctl: %s: its record in etcd is not a provfs-shared 1 record: "
		        "not replaced\n",
		        mac);
	} else if (r == -EOVERFLOW) {
		fprintf(stderr, "provctl: %s: etcd has its last epoch (%lu): no next one\n", mac,
		        (unsigned long)UINT32_MAX);
	} else if (r < 0) {
		fprintf(stderr, "provctl: %s: %s\n", mac, url_message(r, why));
	} else {
		if (file_key_carrier_name(dev, carrier, sizeof(carrier)) < 0)
			snprintf(carrier, sizeof(carrier), "its plain file");
		printf(
		    "%s: epoch %lu recorded in etcd (new %u-bit key derived from the site secret "
		    "on every replica); %s is served again until the phone has read it and "
		    "asked for one of its encrypted files\n",
		    mac, (unsigned long)epoch, vendor_key_bits(dev->model), carrier);
	}
	tree_free(t);
	return r < 0 ? EXIT_PROBLEM : 0;
}

struct status_ctx {
	const struct tree *t;
	uint64_t only; /* one device, or 0 */
	bool found;
	int bad;
};

static void show(void *ctx, uint64_t mac, const struct dev_key *rec, const char *bad)
{
	struct status_ctx *s = ctx;
	char m[MAC_STRLEN + 1], since[32];

	if (s->only != 0 && mac != s->only)
		return;
	if (rec == NULL) {
		char q[DIAG_QUOTE_SIZE];

		/* etcd's key may hold anything (etcdctl writes any bytes): one line, escaped */
		fprintf(stderr, "provctl: etcd: %s is not a provfs-shared 1 record\n",
		        diag_quote(q, bad));
		s->bad++;
		return;
	}
	s->found = true;
	mac_format(mac, true, m);
	utc(rec->since, since);
	printf("%s %s epoch %lu %s proof %s since %s%s\n", m, rec->vendor,
	       (unsigned long)rec->epoch, key_state_name(rec->state),
	       rec->state == KEY_DELIVERED ? rec->proof : "-", since,
	       inventory_find(s->t->inv, mac) == NULL ? " (not in this inventory)" : "");
}

int cmd_shared_status(const char *url, const char *path, const char *mac_arg)
{
	const struct keys none = { { -1, NULL }, NULL, NULL };
	struct tree *t = load(&none, path);
	struct status_ctx s = { t, 0, false, 0 };
	char why[256] = "";
	int r;

	if (t == NULL)
		return EXIT_PROBLEM;
	if (mac_arg != NULL) {
		const struct device *dev = device_arg(t, mac_arg);

		if (dev == NULL) {
			tree_free(t);
			return EXIT_PROBLEM;
		}
		s.only = dev->mac;
	}
	r = shared_records(url, show, &s, why, sizeof(why));
	if (r < 0)
		fprintf(stderr, "provctl: %s\n", url_message(r, why));
	else if (mac_arg != NULL && !s.found)
		printf("%s: no record in etcd: epoch 1 pending on every replica that served it\n",
		       mac_arg);
	tree_free(t);
	return r < 0 || s.bad > 0 ? EXIT_PROBLEM : 0;
}
