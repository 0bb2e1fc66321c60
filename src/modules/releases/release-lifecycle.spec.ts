import {
  BACK_OFFICE_TARGETS,
  RELEASE_STATUSES,
  ReleaseStatus,
  SubmissionTrack,
  canTransition,
  checkBackOfficeTransition,
  isEditable,
  isReleaseStatus,
  notEditableReason,
  missingForSubmission,
  nextStatuses,
} from './release-lifecycle';

// API guide: Releases and their lifecycle, written out as the full list of legal edges.
const LEGAL: Array<[ReleaseStatus, ReleaseStatus]> = [
  ['draft', 'submitted'],
  ['submitted', 'approved'],
  ['submitted', 'rejected'],
  ['approved', 'live'],
  ['approved', 'taken_down'],
  ['live', 'taken_down'],
  ['rejected', 'draft'],
];

const ALL_PAIRS = RELEASE_STATUSES.flatMap((from) => RELEASE_STATUSES.map((to) => [from, to] as [ReleaseStatus, ReleaseStatus]));
const isLegal = (from: ReleaseStatus, to: ReleaseStatus) => LEGAL.some(([f, t]) => f === from && t === to);
const ILLEGAL = ALL_PAIRS.filter(([from, to]) => !isLegal(from, to));

describe('release lifecycle', () => {
  it('has exactly the statuses of the contract', () => {
    expect([...RELEASE_STATUSES].sort()).toEqual(['approved', 'draft', 'live', 'rejected', 'submitted', 'taken_down']);
    expect(ILLEGAL).toHaveLength(36 - LEGAL.length);
  });

  it.each(LEGAL)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(nextStatuses(from)).toContain(to);
  });

  it.each(ILLEGAL)('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(nextStatuses(from)).not.toContain(to);
  });

  it('treats taken_down as final', () => {
    expect(nextStatuses('taken_down')).toEqual([]);
  });

  it('lets only drafts be edited', () => {
    for (const status of RELEASE_STATUSES) expect(isEditable(status)).toBe(status === 'draft');
  });

  it('recognises statuses', () => {
    expect(isReleaseStatus('live')).toBe(true);
    expect(isReleaseStatus('LIVE')).toBe(false);
    expect(isReleaseStatus('published')).toBe(false);
    expect(isReleaseStatus(undefined)).toBe(false);
  });
});

describe('notEditableReason', () => {
  it('suggests taking down only where the lifecycle allows it', () => {
    for (const status of RELEASE_STATUSES.filter((s) => s !== 'draft')) {
      const reason = notEditableReason(status, 'rel_1');
      expect(reason).toMatch(new RegExp(`^The release is ${status}; only a draft can be changed or deleted\\. `));
      expect(/take it down/.test(reason)).toBe(nextStatuses(status).includes('taken_down'));
    }
    expect(notEditableReason('taken_down', 'rel_1')).toMatch(/final/);
    expect(notEditableReason('rejected', 'rel_1')).toContain('POST /v1/releases/rel_1/status with "draft"');
  });
});

describe('checkBackOfficeTransition', () => {
  it('never targets submitted (that is POST /submit, with its completeness check)', () => {
    expect(BACK_OFFICE_TARGETS).not.toContain('submitted');
    for (const from of RELEASE_STATUSES) {
      const result = checkBackOfficeTransition(from, 'submitted');
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/submit/);
    }
  });

  it.each(LEGAL.filter(([, to]) => to !== 'submitted'))('allows %s → %s', (from, to) => {
    expect(checkBackOfficeTransition(from, to)).toEqual({ ok: true });
  });

  it.each(ILLEGAL)('refuses %s → %s with a reason naming both ends', (from, to) => {
    const result = checkBackOfficeTransition(from, to);
    expect(result.ok).toBe(false);
    if (!result.ok && to !== 'submitted') expect(result.reason).toContain(`${from} cannot move to ${to}`);
  });

  it('says what a status can move to, or that it is final', () => {
    const fromApproved = checkBackOfficeTransition('approved', 'draft');
    expect(fromApproved.ok === false && fromApproved.reason).toMatch(/live or taken_down/);
    const fromTakenDown = checkBackOfficeTransition('taken_down', 'live');
    expect(fromTakenDown.ok === false && fromTakenDown.reason).toMatch(/final/);
  });
});

describe('missingForSubmission', () => {
  const complete: SubmissionTrack = { id: 'trk_1', trackNumber: 1, isrc: 'USRC17607839', hasAcceptedAudio: true };

  it('is empty for a complete release', () => {
    expect(missingForSubmission({ upc: '036000291452', releaseDate: '2026-01-01' }, [complete])).toEqual([]);
  });

  it('lists every missing item of an empty release', () => {
    expect(missingForSubmission({ upc: null, releaseDate: null }, [])).toEqual([
      { field: 'upc', message: 'a UPC or EAN is required' },
      { field: 'releaseDate', message: 'a release date is required' },
      { field: 'tracks', message: 'at least one track is required' },
    ]);
  });

  it('lists each track’s missing ISRC and audio, indexed as in the release’s tracks array', () => {
    const tracks: SubmissionTrack[] = [
      complete,
      { id: 'trk_2', trackNumber: 2, isrc: null, hasAcceptedAudio: false },
      { id: 'trk_5', trackNumber: 5, isrc: 'USRC17607840', hasAcceptedAudio: false },
      { id: 'trk_7', trackNumber: 7, isrc: null, hasAcceptedAudio: true },
    ];
    expect(missingForSubmission({ upc: '036000291452', releaseDate: new Date('2026-01-01') }, tracks)).toEqual([
      { field: 'tracks.1.isrc', message: 'track 2 (trk_2) has no ISRC' },
      { field: 'tracks.1.audio', message: 'track 2 (trk_2) has no accepted audio upload attached' },
      { field: 'tracks.2.audio', message: 'track 5 (trk_5) has no accepted audio upload attached' },
      { field: 'tracks.3.isrc', message: 'track 7 (trk_7) has no ISRC' },
    ]);
  });

  it('reports release and track items together', () => {
    const fields = missingForSubmission({ upc: '', releaseDate: null }, [{ ...complete, isrc: null }]).map((e) => e.field);
    expect(fields).toEqual(['upc', 'releaseDate', 'tracks.0.isrc']);
  });
});
