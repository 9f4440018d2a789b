// Check-in bytes of the seed families, as public captures show them (see
// config/catcher-signatures.yaml for where each format is described).

/** njRAT 0.7d: "<length>\0ll|'|'|" and the victim's fields. */
export const NJRAT_CHECKIN = Buffer.from(
  "149\x00ll|'|'|SGFjS2VkXzc2MTNBMTJG|'|'|SERVERPC|'|'|ser|'|'|14-05-27|'|'||'|'|Win 8.1 ProSP0 x86|'|'|No|'|'|0.7d|'|'|..|'|'|UHJvZ3JhbSBNYW5hZ2VyAA==|'|'|",
  'latin1',
);

/** An older njRAT build: "lv" instead of "ll", and only the first fields in the first segment. */
export const NJRAT_LV_PREFIX = Buffer.from("87\x00lv|'|'|SGFjS2VkX0M0QkEzNjQ3|'|'|", 'latin1');

/** H-worm / Jenxcus / Dunihi: POST /is-ready with the victim's fields in the User-Agent. */
export const HWORM_CHECKIN = Buffer.from(
  [
    'POST /is-ready HTTP/1.1',
    'Accept: */*',
    'Accept-Language: en-us',
    'User-Agent: C4BA3647<|>USER-PC<|>admin<|>Microsoft Windows 7 Professional <|>+<|>undefined<|>false - 20/9/2019',
    'Accept-Encoding: gzip, deflate',
    'Host: dr-vip.no-ip.org:8885',
    'Content-Length: 0',
    'Connection: Keep-Alive',
    'Cache-Control: no-cache',
    '',
    '',
  ].join('\r\n'),
  'latin1',
);
