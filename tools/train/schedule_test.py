#!/usr/bin/python3
"""Checks the learning-rate schedule: warm-up, inverse-square-root decay, anneal, bad input."""

import math
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from schedule import Schedule, parse_anneal  # noqa: E402


class ScheduleTest(unittest.TestCase):
    def test_warmup_rises_linearly_to_the_peak(self):
        lr = Schedule(peak=7e-4, warmup=400)
        self.assertAlmostEqual(lr(100), 7e-4 / 4)
        self.assertAlmostEqual(lr(400), 7e-4)
        self.assertGreater(lr(1), 0)

    def test_decay_is_inverse_square_root_and_scaled(self):
        lr = Schedule(peak=7e-4, warmup=400, scale=1.5)
        self.assertAlmostEqual(lr(1600), 1.5 * 7e-4 / 2)
        self.assertAlmostEqual(lr(14609), 1.5 * 7e-4 * math.sqrt(400 / 14609))

    def test_anneal_falls_linearly_to_zero_and_stays_there(self):
        plain = Schedule(peak=7e-4, warmup=400, scale=1.5)
        lr = Schedule(peak=7e-4, warmup=400, scale=1.5, anneal=(14609, 19200))
        start = plain(14609)
        self.assertAlmostEqual(lr(10000), plain(10000))
        self.assertAlmostEqual(lr(14609), start)
        self.assertAlmostEqual(lr((14609 + 19200) / 2), start / 2)
        self.assertEqual(lr(19200), 0.0)
        self.assertEqual(lr(20000), 0.0)
        rates = [lr(s) for s in range(14609, 19201, 17)]
        self.assertTrue(all(a > b for a, b in zip(rates, rates[1:])))

    def test_parse_anneal(self):
        self.assertIsNone(parse_anneal(""))
        self.assertEqual(parse_anneal("14609:19200"), (14609, 19200))
        for bad in ("19200:14609", "0:10", "5:5", "10", "a:b", "1:2:3"):
            with self.assertRaises(ValueError, msg=bad):
                parse_anneal(bad)


if __name__ == "__main__":
    unittest.main()
