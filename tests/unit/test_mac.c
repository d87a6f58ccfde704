/*
 * test_mac.c - MAC notations accepted in the inventory and the strict file-name form.
 */
#include "testutil.h"

#include "inventory/mac.h"

static void test_mac_accepts_common_notations(void **state)
{
	static const char *const forms[] = {
		"000b82123456",      "000B82123456",      "00:0b:82:12:34:56", "00:0B:82:12:34:56",
		"00-0b-82-12-34-56", "00-0B-82-12-34-56", "000b.8212.3456",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		uint64_t mac = 0;

		assert_int_equal(mac_parse(forms[i], strlen(forms[i]), &mac), 0);
		assert_true(mac == UINT64_C(0x000b82123456));
	}
}

static void test_mac_rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"000b8212345",
		"000b821234567",
		"000b8212345g",
		"00:0b:82-12:34:56",
		"00:0b:82:12:34",
		"00:0b:82:12:34:5",
		"0:0b:82:12:34:56:",
		"000b:8212:3456",
		"00 0b 82 12 34 56",
		"000000000000",
		"01005e000001",
		"ff:ff:ff:ff:ff:ff",
		"000b.8212.345",
		"00:0b:82:12:34:56 ",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t mac = 0;

		if (mac_parse(bad[i], strlen(bad[i]), &mac) == 0)
			fail_msg("'%s' accepted as a MAC", bad[i]);
	}
}

static void test_mac_format_both_cases(void **state)
{
	char out[MAC_STRLEN + 1];

	(void)state;
	mac_format(UINT64_C(0xc074ad0a0b0c), false, out);
	assert_string_equal(out, "c074ad0a0b0c");
	mac_format(UINT64_C(0xc074ad0a0b0c), true, out);
	assert_string_equal(out, "C074AD0A0B0C");
}

static void test_mac_hex12_is_strict(void **state)
{
	uint64_t mac;

	(void)state;
	assert_true(mac_parse_hex12("0080F0c8c381", &mac));
	assert_true(mac == UINT64_C(0x0080f0c8c381));
	assert_false(mac_parse_hex12("0080F0c8c38:", &mac));
	assert_false(mac_parse_hex12("0080f0c8c38", &mac)); /* stops at the NUL */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_accepts_common_notations),
		cmocka_unit_test(test_mac_rejects_malformed),
		cmocka_unit_test(test_mac_format_both_cases),
		cmocka_unit_test(test_mac_hex12_is_strict),
	};

	return cmocka_run_group_tests_name("mac", tests, NULL, NULL);
}
